"""Risk tiers: what a work order's ``risk`` (low | medium | high) requires before it may merge.

One table, :data:`TIERS`, says per tier whether the LLM reviewer must run, whether a person must
approve the head (``/wo approve``) whatever ``require_human_approval`` says, and how severe a change
without any test file is. :func:`gate_risk` is the PO gate that checks the first and the last;
:func:`human_approval_required` is what the commit status asks. A lower tier only ever relaxes
MINOR findings (``tests.missing`` for ``low``): no tier relaxes a BLOCKER.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..contracts.config import RepoConfig
from ..contracts.packet import Finding, Severity
from ..inputs.globs import compile_globs
from ..contracts.workorder import WorkOrder
from .rules import GateSpec, Rule

if TYPE_CHECKING:
    from .context import GateContext
    from ..templates import Templates


@dataclass(frozen=True)
class Tier:
    """What one risk tier requires. ``reviewer``: the LLM reviewer must be configured (else a BLOCKER
    ``risk.reviewer_required``); ``human_approval``: the commit status stays pending until a person
    approves the head; ``tests``: a changed test file is required (``risk.tests_required``, its severity in
    :data:`TESTS_REQUIRED`; ``tests.missing`` MINOR of :mod:`workorder.gates.core` covers medium)."""

    reviewer: bool = False
    human_approval: bool = False
    tests: bool = False


TIERS: dict[str, Tier] = {
    "low": Tier(),
    "medium": Tier(),
    "high": Tier(reviewer=True, human_approval=True, tests=True),
}


def tier_of(order: WorkOrder) -> Tier:
    """The :class:`Tier` of ``order``'s risk (a work order's risk is always one of :data:`TIERS`)."""
    return TIERS[order.risk]


def human_approval_required(config: RepoConfig, order: WorkOrder) -> bool:
    """True when a PASS must wait for ``/wo approve`` of its head: the config's
    ``require_human_approval``, or a tier (``high``) that always requires it."""
    return config.require_human_approval or tier_of(order).human_approval


def _templates() -> Templates:
    # jinja2 only once a message is needed, not when the module is imported
    from ..templates import active

    return active()


def _message(kind: str, risk: str) -> str:
    """``templates/gate_finding.txt.j2`` for ``kind`` and ``risk``, as rendered, without the final newline
    (the same rendering as :func:`workorder.gates.context.finding_text`)."""
    return _templates().render("gate_finding.txt.j2", kind=kind, risk=risk).removesuffix("\n")


REVIEWER_REQUIRED = Rule("risk.reviewer_required", Severity.BLOCKER,
                         "risk is high and reviewer.preset is none (high risk needs the LLM reviewer)")
TESTS_REQUIRED = Rule("risk.tests_required", Severity.MAJOR, "risk is high and no test file changed")


def gate_risk(ctx: GateContext) -> list[Finding]:
    """The tier's requirements on the evidence: BLOCKER ``risk.reviewer_required`` when the tier needs
    the LLM reviewer and the config's ``reviewer.preset`` is ``none``; ``risk.tests_required`` (the
    :data:`TESTS_REQUIRED`) when the tier asks for tests and no changed path matches the config's ``test_patterns``."""
    tier = tier_of(ctx.work_order)
    risk = ctx.work_order.risk
    findings = []
    if tier.reviewer and ctx.config.reviewer.preset == "none":
        findings.append(REVIEWER_REQUIRED.finding(_message("risk_reviewer_required", risk),
                                                  path=".github/workorder.yml", evidence="reviewer.preset: none"))
    tests = compile_globs(ctx.config.test_patterns)
    if tier.tests and not any(tests.match_file(p) for p in ctx.diff.touched_paths):
        findings.append(TESTS_REQUIRED.finding(
            _message("risk_tests_required", risk),
            evidence="changed: " + (", ".join(ctx.diff.touched_paths[:20]) or "nothing")))
    return findings


GATE = GateSpec("risk", gate_risk, (REVIEWER_REQUIRED, TESTS_REQUIRED), order=150)
