"""Non-converging loops stop early: the pure rule (table tests) and the loop over the local forge."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from conftest import agent_command
from test_loop_local import run_loop, tracking_body

from workorder.contracts.packet import Finding, Severity, Verdict
from workorder.loop.convergence import converge, finding_keys, handoff_with, repeats
from workorder.loop.state import Handoff, State, TrackingState, decode_state, encode_state
from workorder.templates import Templates


def f(rule: str, path: str | None = None, line: int | None = None, severity: Severity = Severity.BLOCKER) -> Finding:
    return Finding(severity=severity, rule=rule, message=f"{rule} message", path=path, line=line)


def fail(*findings: Finding) -> Verdict:
    return Verdict(verdict="FAIL", findings=list(findings))


VERIFY = f("verify.failed")
TODO7 = f("placeholder", "calc/ops.py", 7, Severity.MAJOR)
TODO9 = f("placeholder", "calc/ops.py", 9, Severity.MAJOR)
TODO12 = f("placeholder", "calc/ops.py", 12, Severity.MAJOR)
MINOR = f("tests.missing", severity=Severity.MINOR)


@pytest.mark.parametrize(("previous", "current", "expected"), [
    ([VERIFY], [VERIFY], True),  # the same failing finding again
    ([VERIFY, TODO7], [TODO7, VERIFY], True),  # order does not matter: sets
    ([VERIFY, TODO7], [VERIFY, TODO9], True),  # the TODO only moved down two lines
    ([VERIFY, TODO7], [VERIFY], False),  # one fixed: progress
    ([VERIFY], [VERIFY, TODO7], False),  # a new one: not a repeat
    ([VERIFY, TODO7, TODO9], [VERIFY, TODO12], False),  # two TODOs became one: progress
    ([VERIFY, TODO7], [VERIFY, f("placeholder", "calc/other.py", 7, Severity.MAJOR)], False),  # other file
    ([VERIFY], [VERIFY, MINOR], True),  # MINOR findings do not count
    ([VERIFY, MINOR], [VERIFY], True),
    ([], [VERIFY], False),  # no previous cycle
    ([MINOR], [MINOR], False),  # nothing failing is never "repeated"
])
def test_repeats_compares_failing_findings_as_sets_of_rule_and_place(previous, current, expected):
    assert repeats(finding_keys(previous), finding_keys(current)) is expected


KEYS = st.lists(st.tuples(st.sampled_from(["verify.failed", "placeholder", "scope.outside"]),
                           st.one_of(st.none(), st.sampled_from(["a.py", "b/c.py"])),
                           st.one_of(st.none(), st.integers(1, 50))), max_size=6)


@given(KEYS, KEYS, st.integers(1, 20))
def test_repeats_is_symmetric_order_free_and_ignores_moved_lines(a, b, shift):
    assert repeats(a, b) == repeats(b, a)
    assert repeats(a, list(reversed(a))) == bool(a)
    moved = [(rule, path, line + shift if line else line) for rule, path, line in a]
    assert repeats(a, moved) == bool(a)


def test_converge_returns_the_not_converging_blocker_with_the_repeated_findings_as_evidence():
    previous = finding_keys([VERIFY, TODO7])
    keys, stuck = converge(previous, fail(VERIFY, TODO9, MINOR), True, Templates())
    assert keys == [("placeholder", "calc/ops.py", 9), ("verify.failed", None, None)]
    assert stuck is not None and stuck.rule == "loop.not_converging" and stuck.severity is Severity.BLOCKER
    assert stuck.evidence.splitlines() == ["BLOCKER verify.failed", "MAJOR placeholder calc/ops.py:9"]
    assert "repeated the previous cycle's 2 failing findings" in stuck.message


@pytest.mark.parametrize(("verdict", "cycles_left"), [
    (fail(VERIFY), False),  # at the cap the cap handoff says it
    (Verdict(verdict="PASS", findings=[MINOR]), True),
])
def test_converge_does_not_stop_at_the_cap_or_after_a_pass(verdict, cycles_left):
    keys, stuck = converge(finding_keys([VERIFY]), verdict, cycles_left, Templates())
    assert stuck is None and keys == ([] if verdict.verdict == "PASS" else [("verify.failed", None, None)])


def test_handoff_with_puts_the_finding_first():
    stuck = f("loop.not_converging")
    assert handoff_with(Handoff(reason="x", pending=[VERIFY]), stuck).pending == [stuck, VERIFY]
    handoff = Handoff(reason="x")
    assert handoff_with(handoff, None) is handoff


def test_the_keys_survive_the_hidden_state_so_a_resumed_run_knows_them():
    s = TrackingState(issue=1, state=State.CHANGES_REQUESTED, last_finding_keys=finding_keys([VERIFY, TODO7]))
    back = decode_state(encode_state(s))
    assert back is not None and repeats(back.last_finding_keys, finding_keys([TODO9, VERIFY]))
    assert decode_state(encode_state(TrackingState(issue=1, state=State.READY))).last_finding_keys == []


def test_a_loop_that_repeats_its_findings_stops_early_with_a_handoff(tmp_path, workspace, python_bin):
    outcome, forge, journal = run_loop(tmp_path, workspace, python_bin, agent_command("repeat-mistake"),
                                       config_text="max_cycles: 5\n")
    s = outcome.state
    assert s.state is State.BLOCKED and s.cycle == 2 < s.max_cycles == 5
    assert [h.phase for h in s.history].count("review") == 2
    assert s.handoff.reason == "not_converging"
    stuck = s.handoff.pending[0]
    assert stuck.rule == "loop.not_converging"
    assert "BLOCKER verify.failed" in stuck.evidence and "MAJOR placeholder calc/ops.py:" in stuck.evidence
    assert not (tmp_path / "runs" / "1" / "3-fix").exists()
    body = tracking_body(forge)
    assert "repeated the previous cycle's findings (not converging)" in body and "`loop.not_converging`" in body
    assert '"reason": "not_converging"' in journal.audit_path.read_text().replace('":"', '": "')


def test_a_loop_whose_findings_change_runs_to_the_cap(tmp_path, workspace, python_bin):
    outcome, _, _ = run_loop(tmp_path, workspace, python_bin, agent_command("fail-differently"),
                             config_text="max_cycles: 3\n")
    assert outcome.state.cycle == 3 and outcome.state.handoff.reason == "cap"
