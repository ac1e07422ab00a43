"""Evidence per done_when criterion: each entry of the DoD packet's evidence checked against the action's own
run (test results, verify commands, the diff's added lines); the review's table; the packet contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_baseline import run_order

from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import CriterionEvidence, DoDPacket, Severity, parse_dod_packet
from workorder.evidence.diff import AddedLine, ChangedFile, Diff
from workorder.gates.criteria import evidence_table, gate_evidence, names_criterion
from workorder.gates.context import GateContext
from workorder.presets.schemas import DOD_OUTPUT_SCHEMA
from workorder.inputs.problems import InvalidInput
from workorder.templates import Templates
from workorder.evidence.testresults import CommandResults, TestCase, TestResults
from workorder.evidence.testresults_model import VerifyRun
from workorder.contracts.workorder import WorkOrder

ORDER = WorkOrder(objective="x", in_scope=["**"], done_when=["subtract works", "The tests cover it."])
RUNS = [VerifyRun(cmd="python -m pytest -q", exit_code=0, duration_s=1), VerifyRun(cmd="make lint", exit_code=2, duration_s=1)]
RESULTS = TestResults(commands=[CommandResults(cmd="python -m pytest -q", source="junit", collected=4, cases=[
    TestCase(id="tests.test_sub.SubTest.test_sub", outcome="passed", nodeid="tests/test_sub.py::SubTest::test_sub"),
    TestCase(id="tests.test_sub.test_p[1]", outcome="passed"), TestCase(id="tests.test_sub.test_p[2]", outcome="passed"),
    TestCase(id="tests.test_add.test_add", outcome="skipped", nodeid="tests/test_add.py::test_add")])])
ADDED = [AddedLine("calc/ops.py", 10, "def subtract(a, b):"), AddedLine("calc/ops.py", 11, "    return a - b")]


def ctx(*entries: tuple[str, str, str], results: TestResults | None = RESULTS, **packet) -> GateContext:
    evidence = [CriterionEvidence(criterion=c, kind=k, ref=r) for c, k, r in entries]  # type: ignore[arg-type]
    dod = DoDPacket(status="done", summary="s", evidence=evidence, **packet)
    return GateContext(ORDER, RepoConfig(), Diff(files=[ChangedFile("calc/ops.py", "M")], added_lines=ADDED), RUNS,
                       dod, Path("/nonexistent"), test_results=results)


PROVEN = [("1", "path", "calc/ops.py:11"), ("2", "test", "tests/test_sub.py")]


@pytest.mark.parametrize(("kind", "ref", "detail"), [
    ("test", "tests/test_sub.py::SubTest::test_sub", "passed in the action's verify run (1 test)"),
    ("test", "tests.test_sub.SubTest.test_sub", "passed in the action's verify run (1 test)"),
    ("test", "tests/test_sub.py::test_p", "passed in the action's verify run (2 tests)"),
    ("test", "tests/test_sub.py", "passed in the action's verify run (3 tests)"),
    ("command", "python  -m pytest -q", "exited 0 when the action ran it"),
    ("path", "calc/ops.py:11", "added line: return a - b"),
    ("path", "./calc/ops.py:1-10", "added line: def subtract(a, b):"),
])
def test_evidence_the_action_can_confirm_is_verified(kind, ref, detail):
    context = ctx(("1", kind, ref), ("2", "path", "calc/ops.py:10"))
    [row, _] = evidence_table(context)
    assert (row.number, row.kind, row.ref, row.verified, row.detail) == (1, kind, ref, True, detail)
    assert gate_evidence(context) == []


@pytest.mark.parametrize(("kind", "ref", "detail"), [
    ("test", "tests/test_sub.py::test_ghost", "not among the 4 tests the action's verify run ran"),
    ("test", "tests/test_add.py::test_add", "`tests/test_add.py::test_add` skipped in the action's verify run"),
    ("command", "make lint", "exited with code 2 when the action ran it"),
    ("command", "pytest", "not a verify command the action ran (`python -m pytest -q`, `make lint`)"),
    ("path", "calc/ops.py:9", "the diff adds no line there in `calc/ops.py`"),
    ("path", "calc/other.py:10", "the diff adds no line there in `calc/other.py`"),
    ("path", "calc/ops.py", "not path:line (or path:start-end)"),
])
def test_evidence_the_action_cannot_confirm_is_a_major_finding(kind, ref, detail):
    context = ctx(("1", kind, ref), *PROVEN)
    assert [row.detail for row in evidence_table(context) if not row.verified] == [detail]
    [finding] = gate_evidence(context)
    assert (finding.rule, finding.severity) == ("evidence.unproven", Severity.MAJOR)
    assert finding.message == 'the action\'s own run does not back the evidence for done_when criterion 1 ("subtract works")'
    assert finding.evidence == f"{kind} {ref}: {detail}"


def test_a_test_id_without_per_test_results_is_unproven():
    context = ctx(("1", "test", "tests/test_sub.py"), ("2", "path", "calc/ops.py:10"), results=None)
    [finding] = gate_evidence(context)
    assert finding.rule == "evidence.unproven" and "gave no per-test results" in finding.evidence


def test_a_criterion_without_evidence_is_unmapped_and_unknown_criteria_are_named():
    [finding] = gate_evidence(ctx(("1", "path", "calc/ops.py:10"), ("the tests cover subtraction", "path", "calc/ops.py:10")))
    assert (finding.rule, finding.severity) == ("evidence.unmapped", Severity.MAJOR)
    assert finding.message == 'done_when criterion 2 ("The tests cover it.") has no evidence in the DoD packet'
    assert '"the tests cover subtraction"' in finding.evidence and '"criterion": "2"' in finding.evidence
    assert [f.rule for f in gate_evidence(ctx())] == ["evidence.unmapped", "evidence.unmapped"]


@pytest.mark.parametrize(("given", "number", "named"), [
    ("1", 1, True), ("#2", 2, True), ("2", 1, False), ("the tests cover it", 2, True),
    ("2. The  tests cover it.", 2, True), ("THE TESTS COVER IT.", 2, True), ("the tests", 2, False),
])
def test_criteria_are_named_by_number_or_text(given, number, named):
    assert names_criterion(given, number, ORDER.done_when[number - 1]) is named


def test_packets_the_runner_did_not_report_as_done_are_not_checked():
    assert gate_evidence(ctx(reported_by="action")) == [] and evidence_table(ctx(reported_by="action")) == []
    blocked = ctx().packet.model_copy(update={"status": "blocked"})
    assert gate_evidence(GateContext(ORDER, RepoConfig(), Diff(), [], blocked, Path("/x"))) == []


def test_the_packet_evidence_is_optional_bounded_and_in_the_strict_schema():
    assert parse_dod_packet('{"status": "done", "summary": "s"}').evidence == []
    entry = {"criterion": "1", "kind": "path", "ref": "a.py:1"}
    assert parse_dod_packet(json.dumps({"status": "done", "summary": "s", "evidence": [entry]})).evidence[0].ref == "a.py:1"
    for bad in ([entry] * 201, [{**entry, "kind": "opinion"}], [{**entry, "ref": ""}], [{**entry, "extra": 1}]):
        with pytest.raises(InvalidInput):
            parse_dod_packet(json.dumps({"status": "done", "summary": "s", "evidence": bad}))
    assert set(DOD_OUTPUT_SCHEMA["required"]) == set(DOD_OUTPUT_SCHEMA["properties"]) == set(DoDPacket.model_fields) - {"reported_by"}
    item = DOD_OUTPUT_SCHEMA["properties"]["evidence"]["items"]
    assert item["required"] == ["criterion", "kind", "ref"] and item["additionalProperties"] is False


def test_the_prompt_asks_for_evidence_per_numbered_criterion():
    from workorder.contracts.forge import Issue

    prompt = Templates().render("prompt.md.j2", order=ORDER, issue=Issue(number=3, title="t", body="", labels=[], author="a"),
                                cycle=1, max_cycles=2, phase="dev", corrective_prompt=None, answer=None, question=None,
                                protected=[], verify=["make test"], rules=None, rules_path=None, channel="file")
    assert '"evidence": [{"criterion": "1", "kind": "test | command | path"' in prompt
    assert "1. subtract works\n2. The tests cover it.\n" in prompt


# -- the whole loop, review table included ---------------------------------------------------------
def test_the_review_shows_criterion_evidence_verified_and_fails_unproven_claims(tmp_path, workspace, python_bin):
    claims = [{"criterion": "1", "kind": "test", "ref": "tests/test_subtract.py::SubtractTest::test_subtract"},
              {"criterion": "2", "kind": "test", "ref": "tests/test_subtract.py::SubtractTest::test_negative"},
              {"criterion": "2", "kind": "path", "ref": "calc/ops.py:2"}]
    _, verdict, forge = run_order(tmp_path, workspace, python_bin, "pass", claims,
                                      done_when=("subtract(5, 3) == 2", "negative results work"))
    assert verdict["verdict"] == "FAIL"
    [unproven] = [f for f in verdict["findings"] if f["rule"].startswith("evidence.")]
    assert unproven["rule"] == "evidence.unproven" and unproven["severity"] == "MAJOR"
    assert unproven["evidence"] == ("test tests/test_subtract.py::SubtractTest::test_negative: not among the 2 tests "
                                    "the action's verify run ran\npath calc/ops.py:2: the diff adds no line there in `calc/ops.py`")
    [pull] = forge.read()["pulls"].values()
    body = pull["reviews"][-1]["body"]
    assert "| # | Criterion | Evidence | Verified |" in body
    assert ("| 1 | subtract(5, 3) == 2 | test <code>tests/test_subtract.py::SubtractTest::test_subtract</code> | "
            "✅ passed in the action's verify run (1 test) |") in body
    assert "| 2 | negative results work | path <code>calc/ops.py:2</code> | ❌ the diff adds no line there" in body


def test_an_honest_unittest_order_proves_its_criteria_with_the_verify_command(tmp_path, workspace, python_bin):
    verify = "python -m unittest discover -s tests -t ."
    claims = [{"criterion": "subtract(5, 3) == 2", "kind": "command", "ref": verify}]
    state, verdict, _ = run_order(tmp_path, workspace, python_bin, "pass", claims, verify=verify)
    assert (state.state, verdict["verdict"]) == ("passed", "PASS")
    assert [(r["number"], r["kind"], r["verified"]) for r in verdict["evidence"]] == [(1, "command", True)]


def test_the_table_in_the_verdict_is_bounded_but_every_entry_is_checked():
    entries = [("1", "path", f"calc/ops.py:{n}") for n in range(100, 160)] + [("2", "path", "x" * 500 + ":1")]
    context = ctx(("1", "path", "calc/ops.py:10"), *entries)
    table = evidence_table(context)
    assert len(table) == 40 and all(len(row.ref or "") <= 200 for row in table)
    [unproven_1, unproven_2] = gate_evidence(context)
    assert unproven_1.evidence.count("\n") == 9 and unproven_2.message.endswith('criterion 2 ("The tests cover it.")')
