"""Risk tiers change what a work order needs: the LLM reviewer, tests, a person's approval."""

from __future__ import annotations

import shlex

import pytest
from conftest import WORK_ORDER, agent_command
from test_gates import ORDER, ctx
from test_loop_local import run_loop

from workorder.contracts.config import parse_repo_config
from workorder.contracts.packet import Severity, Verdict
from workorder.evidence.diff import AddedLine, ChangedFile
from workorder.gates import GATES, run_gates
from workorder.loop.publisher import Publisher
from workorder.gates.risk import TIERS, gate_risk, human_approval_required
from workorder.loop.state import State, TrackingState
from workorder.templates import Templates
from workorder.evidence.testresults_model import VerifyRun

REVIEWER = parse_repo_config("reviewer:\n  preset: command\n  command: ./review\n")
HIGH = ORDER.model_copy(update={"risk": "high"})


def found(order, files, config=None):
    return [(f.rule, f.severity) for f in gate_risk(ctx(files=files, order=order, config=config))]


@pytest.mark.parametrize(("risk", "files", "config", "expected"), [
    ("high", ["calc/a.py"], None, [("risk.reviewer_required", Severity.BLOCKER), ("risk.tests_required", Severity.MAJOR)]),
    ("high", ["calc/a.py", "tests/test_a.py"], None, [("risk.reviewer_required", Severity.BLOCKER)]),
    ("high", ["calc/a.py"], REVIEWER, [("risk.tests_required", Severity.MAJOR)]),
    ("high", ["calc/a.py", "tests/test_a.py"], REVIEWER, []),
    ("medium", ["calc/a.py"], None, []),  # medium: only the MINOR tests.missing of gates.py
    ("low", ["calc/a.py"], None, []),
])
def test_gate_risk_asks_what_the_tier_requires(risk, files, config, expected):
    assert found(ORDER.model_copy(update={"risk": risk}), files, config) == expected


def test_the_high_tier_gate_is_registered_and_fails_the_verdict():
    assert gate_risk in GATES
    rules = {(f.rule, f.severity) for f in run_gates(ctx(files=["calc/a.py"], order=HIGH))}
    assert ("risk.reviewer_required", Severity.BLOCKER) in rules and ("tests.missing", Severity.MINOR) not in rules


def test_the_reviewer_finding_has_evidence_and_names_the_config():
    [reviewer, tests] = gate_risk(ctx(files=["calc/a.py"], order=HIGH))
    assert reviewer.evidence == "reviewer.preset: none" and reviewer.path == ".github/workorder.yml"
    assert tests.evidence == "changed: calc/a.py"


EVIDENCE_OF_EVERY_KIND = {
    "files": ["docs/x.md", ".github/workflows/ci.yml", "calc/a.py", "requirements.txt",
           ChangedFile(path="calc/b.py", status="A")],
    "added": [AddedLine("calc/a.py", 1, "# TODO later")],
    "runs": [VerifyRun(cmd="make test", exit_code=1, duration_s=1, output_tail="FAILED")],
}


def test_a_lower_tier_relaxes_no_blocker():
    blockers = {}
    for risk in TIERS:
        order = ORDER.model_copy(update={"risk": risk})
        findings = run_gates(ctx(order=order, **EVIDENCE_OF_EVERY_KIND))
        blockers[risk] = {(f.rule, f.path) for f in findings if f.severity is Severity.BLOCKER}
    assert blockers["low"] == blockers["medium"] <= blockers["high"]
    assert len(blockers["low"]) >= 3


@pytest.mark.parametrize(("risk", "configured", "expected"), [
    ("low", False, False), ("medium", False, False), ("high", False, True),
    ("low", True, True), ("high", True, True),
])
def test_high_risk_always_needs_a_person(risk, configured, expected):
    config = parse_repo_config(f"require_human_approval: {str(configured).lower()}\n")
    assert human_approval_required(config, ORDER.model_copy(update={"risk": risk})) is expected


def test_a_high_risk_pass_keeps_the_status_pending_until_approved_even_without_the_config_rule():
    config = parse_repo_config("require_human_approval: false\n")
    s = TrackingState(issue=1, state=State.PASSED, cycle=1)
    for order, want in ((HIGH, "pending"), (ORDER, "success")):
        publisher = Publisher(None, None, Templates(), config, None, order)  # type: ignore[arg-type]
        state, text = publisher.status_of(s, Verdict(verdict="PASS"), "abc")
        assert state == want
        assert ("waiting for /wo approve" in text) is (want == "pending")
    s.approved_sha = "abc"
    assert Publisher(None, None, Templates(), config, None, HIGH).status_of(s, Verdict(verdict="PASS"), "abc")[0] == "success"  # type: ignore[arg-type]


def test_a_high_risk_work_order_runs_with_the_reviewer_and_waits_for_a_person(tmp_path, workspace, python_bin):
    verdict = tmp_path / "review.json"
    verdict.write_text('{"verdict": "PASS", "findings": []}')
    reviewer = f"cp {shlex.quote(str(verdict))} \"$WORKORDER_RESULT_FILE\""
    config = f"require_human_approval: false\nreviewer:\n  preset: command\n  command: {shlex.quote(reviewer)}\n"
    outcome, forge, _ = run_loop(tmp_path, workspace, python_bin, agent_command("pass"),
                                 body=WORK_ORDER.replace("risk: medium", "risk: high"), config_text=config)
    assert outcome.state.state is State.PASSED and outcome.state.verdict == "PASS"
    data = forge.read()
    [pr] = data["pulls"].values()
    assert data["statuses"][pr["head_sha"]][-1]["state"] == "pending"


def test_without_a_reviewer_a_high_risk_work_order_cannot_pass(tmp_path, workspace, python_bin):
    outcome, _, _ = run_loop(tmp_path, workspace, python_bin, agent_command("pass"),
                             body=WORK_ORDER.replace("risk: medium", "risk: high"), config_text="max_cycles: 1\n")
    assert outcome.state.verdict == "FAIL"
    assert [f.rule for f in outcome.state.findings] == ["risk.reviewer_required"]
