"""FAIL_TO_PASS proofs: how one test evidence entry fares on the base source under the head's tests.

Read by the evidence table (:mod:`workorder.gates.criteria`, the proof column of a verified entry) and by
the FAIL_TO_PASS gate (:mod:`workorder.gates.fail_to_pass`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..evidence.testresults import TestResults
from ..templates import active

if TYPE_CHECKING:
    from .context import GateContext

Proof = Literal["fail_to_pass", "pass_to_pass", "unknown"]


def proof_of(ref: str, ctx: GateContext) -> Proof | None:
    """How test evidence ``ref`` fares: ``fail_to_pass`` when a test it names passed on the head and
    failed, errored or was not collected on the base source; ``pass_to_pass`` when every test it names
    passed on both; ``unknown`` when the base-source results of its command cannot be read. None when
    no test it names passed on the head (the evidence gate reports that) or no base-source run was made."""
    base, now = ctx.base_source_results, ctx.test_results
    if base is None or now is None:
        return None
    seen: list[Proof] = []
    for command in now.commands:
        passed = [c for c in TestResults(commands=[command]).matching(ref) if c.outcome == "passed"]
        if not passed:
            continue
        before = base.of(command.cmd)
        if before is None or not before.names_tests:
            seen.append("unknown")
            continue
        outcomes = {c.id: c.outcome for c in before.cases}
        seen += ["pass_to_pass" if outcomes.get(c.id) == "passed" else "fail_to_pass" for c in passed]
    if not seen:
        return None
    return "fail_to_pass" if "fail_to_pass" in seen else "unknown" if "unknown" in seen else "pass_to_pass"


def proof_detail(kind: str, ref: str, ctx: GateContext) -> str | None:
    """The table's note on one evidence entry: its FAIL_TO_PASS proof (tests), or that command and
    path:line evidence is weaker than a test. None when there is nothing to add (no base-source run:
    the check is off or the packet cites no test)."""
    if ctx.base_source_results is None:
        return None
    if kind != "test":
        return active().render_line("fail_to_pass.txt.j2", part="detail", proof="weaker")
    proof = proof_of(ref, ctx)
    return active().render_line("fail_to_pass.txt.j2", part="detail", proof=proof) if proof else None
