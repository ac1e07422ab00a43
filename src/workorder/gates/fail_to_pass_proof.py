"""FAIL_TO_PASS proofs: how one test evidence entry fares on the base source under the head's tests.

Read by the evidence table (:mod:`workorder.gates.criteria`, the proof column of a verified entry) and by
the FAIL_TO_PASS gate (:mod:`workorder.gates.fail_to_pass`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..evidence.testresults import TestResults
from ..inputs.globs import compile_globs
from ..templates import active

if TYPE_CHECKING:
    from .context import GateContext

Proof = Literal["fail_to_pass", "pass_to_pass", "unknown"]
NO_TESTS = 5  # pytest's exit code when it collected nothing (a selection that holds none of its tests)


def base_source_of(ctx: GateContext) -> TestResults | None:
    """The results of the verify commands on the base source under the head's tests: the base-source
    run's, or, when the diff changes no test file (then the base source under the head's tests is the
    base commit itself), the PASS_TO_PASS base run's. None when neither is known."""
    if ctx.base_source_results is not None:
        return ctx.base_source_results
    tests = compile_globs([*ctx.config.test_patterns, "**/conftest.py", "conftest.py"])
    if ctx.baseline_results is not None and not any(tests.match_file(p) for p in ctx.diff.touched_paths):
        return ctx.baseline_results
    return None


def proof_of(ref: str, ctx: GateContext, kind: str = "test") -> Proof | None:
    """How evidence ``ref`` of ``kind`` fares on the base source (a command: :func:`command_proof`).
    A test: ``fail_to_pass`` when a test it names passed on the head and failed, errored or was not
    collected on the base source; ``pass_to_pass`` when every test it names passed on both; ``unknown``
    when the base-source results of its command cannot be read. None when no test it names passed on
    the head (the evidence gate reports that) or no base-source run was made."""
    if kind == "command":
        return command_proof(ref, ctx)
    base, now = base_source_of(ctx), ctx.test_results
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


def command_proof(cmd: str, ctx: GateContext) -> Proof | None:
    """How verify command ``cmd``, cited as evidence, fares: ``fail_to_pass`` when it passed on the head
    and a test it runs fails or errors on the base source (when its results name tests), else when it
    exits non-zero there; ``pass_to_pass`` when it passes there too (pytest collecting nothing counts
    as passing); ``unknown`` when its base-source exit code was not recorded or it timed out. None when
    it did not pass on the head (the evidence gate reports that) or there are no base-source results."""
    key = " ".join(cmd.split())
    run = next((r for r in ctx.verify_runs if " ".join(r.cmd.split()) == key), None)
    base = base_source_of(ctx)
    if run is None or not run.passed or base is None:
        return None
    before = base.of(cmd)
    if before is not None and before.cases:
        return "fail_to_pass" if any(c.outcome in ("failed", "error") for c in before.cases) else "pass_to_pass"
    codes = {" ".join(c.split()): code for c, code in base.exit_codes.items()}
    if codes.get(key) is None:
        return "unknown"
    nothing_ran = before is not None and before.collected == 0 and codes[key] == NO_TESTS
    return "pass_to_pass" if codes[key] == 0 or nothing_ran else "fail_to_pass"


def proof_detail(kind: str, ref: str, ctx: GateContext) -> str | None:
    """The table's note on one evidence entry: its FAIL_TO_PASS proof (tests), or that command and
    path:line evidence is weaker than a test. None when there is nothing to add (no base-source run:
    the check is off or the packet cites no test)."""
    if base_source_of(ctx) is None:
        return None
    proof = proof_of(ref, ctx, kind) if kind in ("test", "command") else None
    if kind != "test":
        return active().render_line("fail_to_pass.txt.j2", part="detail", proof="weaker", command_proof=proof)
    return active().render_line("fail_to_pass.txt.j2", part="detail", proof=proof) if proof else None
