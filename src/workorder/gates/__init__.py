"""The PO review's gates: findings from the evidence the action itself gathered.

Each gate is a function ``GateContext -> list[Finding]``: the eight of :mod:`.core`, the baseline
(:mod:`.baseline`), the acceptance criteria's evidence (:mod:`.criteria`), test integrity (:mod:`.integrity`),
risk tiers (:mod:`.risk`), held-out acceptance tests (:mod:`.heldout`), FAIL_TO_PASS evidence
(:mod:`.fail_to_pass`) and diff coverage (:mod:`.diff_coverage`). :data:`GATES` is the one registry and its
order is the report's order.
"""

from __future__ import annotations

from .baseline import gate_baseline
from .context import Gate, GateContext, finding_text
from .core import (
    gate_action_packet,
    gate_dependencies,
    gate_dod_claims,
    gate_empty_diff,
    gate_placeholders,
    gate_scope,
    gate_tests_changed,
    gate_verify,
)
from .criteria import gate_evidence
from .demote import demote_contradicted
from .diff_coverage import gate_diff_coverage
from .fail_to_pass import gate_fail_to_pass
from .heldout import gate_heldout
from .integrity import gate_test_integrity
from .risk import gate_risk
from ..contracts.packet import Finding, Severity

__all__ = ["GATES", "PUSHED_HEAD_GATES", "Gate", "GateContext", "finding_text", "order_findings", "run_gates"]


# The gates, in the order their findings are reported.
GATES: tuple[Gate, ...] = (
    gate_scope,
    gate_verify,
    gate_heldout,
    gate_baseline,
    gate_test_integrity,
    gate_dependencies,
    gate_empty_diff,
    gate_placeholders,
    gate_dod_claims,
    gate_evidence,
    gate_fail_to_pass,
    gate_diff_coverage,
    gate_action_packet,
    gate_tests_changed,
    gate_risk,
)


def run_gates(ctx: GateContext, gates: tuple[Gate, ...] = GATES) -> list[Finding]:
    """Run every gate on ``ctx``; returns all findings, BLOCKERs first, then MAJOR, then MINOR."""
    return order_findings(demote_contradicted([f for gate in gates for f in gate(ctx)], ctx))


def order_findings(findings: list[Finding]) -> list[Finding]:
    """``findings`` sorted BLOCKERs first, then MAJOR, then MINOR (stable within a severity)."""
    order = {Severity.BLOCKER: 0, Severity.MAJOR: 1, Severity.MINOR: 2}
    return sorted(findings, key=lambda f: order[f.severity])


# commits a person pushed: no gate that judges the agent's DoD packet or an empty diff
PUSHED_HEAD_GATES = tuple(g for g in GATES if g not in (gate_dod_claims, gate_empty_diff, gate_action_packet))
