"""The PO review's gates: findings from the evidence the action itself gathered.

Each gate is a function ``GateContext -> list[Finding]`` registered by its module as data
(``GATE = GateSpec(...)``, :mod:`.rules`: its rule ids, severities, meanings, place in the report):
the eight of :mod:`.core`, the baseline (:mod:`.baseline`), the acceptance criteria's evidence
(:mod:`.criteria`), test integrity (:mod:`.integrity`), risk tiers (:mod:`.risk`), held-out acceptance
tests (:mod:`.heldout`), FAIL_TO_PASS evidence (:mod:`.fail_to_pass`) and diff coverage
(:mod:`.diff_coverage`). :data:`REGISTRY` is the one registry, found by :func:`.registry.discover`, and
its order is the report's order; :data:`GATES` holds its functions.
"""

from __future__ import annotations

import sys

from .context import Gate, GateContext, finding_text
from .registry import discover, rules_of
from .rules import GateSpec, Rule
from .demote import demote_contradicted
from ..contracts.packet import Finding, Severity

__all__ = ["GATES", "PUSHED_HEAD_GATES", "REGISTRY", "RULES", "Gate", "GateContext", "GateSpec", "Rule",
           "finding_text", "order_findings", "run_gates"]


# The registry: every gate module's GateSpec, in report order (workorder.gates.registry finds them).
REGISTRY: tuple[GateSpec, ...] = discover(sys.modules[__name__])
# Every rule id of the registry -> its Rule (the one place a rule's severity is written).
RULES: dict[str, Rule] = {rule.id: rule for rule in rules_of(REGISTRY)}
# The gate functions, in the order their findings are reported.
GATES: tuple[Gate, ...] = tuple(spec.run for spec in REGISTRY)


def run_gates(ctx: GateContext, gates: tuple[Gate, ...] = GATES) -> list[Finding]:
    """Run every gate on ``ctx``; returns all findings, BLOCKERs first, then MAJOR, then MINOR."""
    return order_findings(demote_contradicted([f for gate in gates for f in gate(ctx)], ctx))


def order_findings(findings: list[Finding]) -> list[Finding]:
    """``findings`` sorted BLOCKERs first, then MAJOR, then MINOR (stable within a severity)."""
    order = {Severity.BLOCKER: 0, Severity.MAJOR: 1, Severity.MINOR: 2}
    return sorted(findings, key=lambda f: order[f.severity])


# commits a person pushed: no gate that judges the agent's DoD packet or an empty diff
PUSHED_HEAD_GATES = tuple(spec.run for spec in REGISTRY if not spec.judges_packet)
