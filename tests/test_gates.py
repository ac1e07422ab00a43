"""Each PO gate on evidence: one rule at a time, with its severity, location and evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from workorder.contracts.config import RepoConfig, parse_repo_config
from workorder.contracts.packet import CommandRun, DoDPacket, Severity, verdict_for
from workorder.evidence.diff import AddedLine, ChangedFile, Diff, parse_added_lines, parse_name_status
from workorder.gates.criteria import gate_evidence
from workorder.gates import GATES
from workorder.gates import run_gates as run_all_gates
from workorder.gates.context import GateContext
from workorder.evidence.testresults_model import VerifyRun
from workorder.contracts.workorder import WorkOrder

ORDER = WorkOrder(objective="x", in_scope=["calc/**", "tests/**"], out_of_scope=["calc/legacy/**"],
                  done_when=["y"], verify=["make test"])


def ctx(files=(), added=(), runs=(), packet=None, order=ORDER, config=None, worktree=Path("/nonexistent")):
    files = [ChangedFile(path=p, status="M") if isinstance(p, str) else p for p in files]
    if packet is None:
        packet = DoDPacket(status="done", summary="s", files_changed=sorted({f.path for f in files}))
    return GateContext(order, config or RepoConfig(), Diff(files=files, added_lines=list(added)),
                       list(runs), packet, worktree)


def run_gates(context):
    """Every gate but the evidence gate, which has its own tests (tests/test_evidence.py)."""
    return run_all_gates(context, tuple(g for g in GATES if g is not gate_evidence))


def rules(context, severity=None):
    return [(f.rule, f.path) for f in run_gates(context) if severity is None or f.severity == severity]


def test_clean_change_passes():
    findings = run_gates(ctx(files=["calc/ops.py", "tests/test_ops.py"], runs=[VerifyRun(cmd="make test", exit_code=0, duration_s=1)]))
    assert findings == [] and verdict_for(findings) == "PASS"


def test_scope_outside_excluded_and_protected_are_blockers():
    found = run_gates(ctx(files=["docs/x.md", "calc/legacy/old.py", ".github/workflows/ci.yml", ".github/workorder.yml"]))
    scope = {(f.rule, f.path, f.severity) for f in found if f.rule.startswith("scope.")}
    assert scope == {
        ("scope.outside", "docs/x.md", Severity.BLOCKER),
        ("scope.excluded", "calc/legacy/old.py", Severity.BLOCKER),
        ("scope.protected", ".github/workflows/ci.yml", Severity.BLOCKER),
        ("scope.protected", ".github/workorder.yml", Severity.BLOCKER),
    }


def test_config_file_stays_protected_even_when_protected_paths_are_emptied():
    config = parse_repo_config("protected_paths: []\n")
    order = WorkOrder(objective="x", in_scope=["**"], done_when=["y"])
    assert ("scope.protected", ".github/workorder.yml") in rules(ctx(files=[".github/workorder.yml"], order=order, config=config))


def test_renamed_file_counts_both_paths():
    renamed = ChangedFile(path="calc/new.py", status="R", old_path="docs/old.py")
    assert ("scope.outside", "docs/old.py") in rules(ctx(files=[renamed]))


def test_failing_and_timed_out_verify_commands_are_blockers_with_output():
    runs = [VerifyRun(cmd="make test", exit_code=2, duration_s=1, output_tail="line\nAssertionError: 8 != 2"),
            VerifyRun(cmd="make lint", exit_code=None, duration_s=600, timed_out=True)]
    found = [f for f in run_gates(ctx(files=["calc/a.py"], runs=runs)) if f.rule == "verify.failed"]
    assert [f.severity for f in found] == [Severity.BLOCKER, Severity.BLOCKER]
    assert "exited with code 2" in found[0].message and "AssertionError: 8 != 2" in found[0].evidence
    assert "timed out" in found[1].message


def test_dependency_manifest_is_a_blocker_unless_allowed():
    order = ORDER.model_copy(update={"in_scope": ["**"]})
    assert ("deps.manifest", "requirements-dev.txt") in rules(ctx(files=["requirements-dev.txt"], order=order))
    assert ("deps.manifest", "web/package-lock.json") in rules(ctx(files=["web/package-lock.json"], order=order))
    allowed = order.model_copy(update={"allow_dependencies": True})
    assert not [r for r in rules(ctx(files=["requirements-dev.txt"], order=allowed)) if r[0] == "deps.manifest"]


def test_done_with_empty_diff_is_a_blocker():
    assert rules(ctx(files=[])) == [("diff.empty", None)]


@pytest.mark.parametrize(
    ("path", "text", "name"),
    [
        ("calc/a.py", "    # TODO: later", "TODO"),
        ("calc/a.py", "x = 1  # FIXME", "FIXME"),
        ("calc/a.py", "# XXX hack", "XXX"),
        ("calc/a.py", "    raise NotImplementedError", "NotImplementedError"),
        ("calc/a.rs", "    unimplemented!()", "unimplemented!"),
        ("calc/a.rs", "let x = y.unwrap();", ".unwrap()"),
        ("calc/a.py", "    pass  # placeholder", "pass  # placeholder"),
        ("calc/a.md", "Lorem ipsum dolor sit amet", "lorem ipsum"),
    ],
)
def test_placeholders_are_major_at_path_and_line(path, text, name):
    found = [f for f in run_gates(ctx(files=[path], added=[AddedLine(path=path, line=7, text=text)])) if f.rule == "placeholder"]
    assert len(found) == 1
    assert (found[0].severity, found[0].path, found[0].line, found[0].message) == (Severity.MAJOR, path, 7, f"placeholder `{name}` added")
    assert found[0].evidence == text.strip()


def test_unwrap_in_python_is_not_a_placeholder_and_custom_patterns_replace_defaults():
    assert not [f for f in run_gates(ctx(files=["calc/a.py"], added=[AddedLine("calc/a.py", 1, "m.unwrap()")])) if f.rule == "placeholder"]
    config = parse_repo_config("placeholder_patterns:\n  - {name: HACK, regex: 'HACK'}\n")
    found = run_gates(ctx(files=["calc/a.py"], added=[AddedLine("calc/a.py", 1, "HACK TODO")], config=config))
    assert [f.message for f in found if f.rule == "placeholder"] == ["placeholder `HACK` added"]


def test_dod_packet_disagreeing_with_the_diff_is_major():
    packet = DoDPacket(status="done", summary="s", files_changed=["calc/a.py", "./calc/ghost.py"],
                       commands_run=[CommandRun(cmd="make  test", exit_code=0)], tests_run=["tests/test_ghost.py::test_x"])
    runs = [VerifyRun(cmd="make test", exit_code=1, duration_s=1, output_tail="boom")]
    found = {(f.rule, f.path): f for f in run_gates(ctx(files=["calc/a.py", "calc/b.py"], runs=runs, packet=packet))}
    assert "claims `calc/ghost.py` changed" in found[("dod.files", "calc/ghost.py")].message
    assert "does not list it" in found[("dod.files", "calc/b.py")].message
    assert found[("dod.commands", None)].severity == Severity.MAJOR and "exited with code 1" in found[("dod.commands", None)].message
    assert found[("dod.tests", "tests/test_ghost.py")].severity == Severity.MAJOR


def test_claimed_test_file_that_exists_is_fine(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    packet = DoDPacket(status="done", summary="s", files_changed=["calc/a.py"], tests_run=["tests/test_a.py", "the unit tests"])
    assert rules(ctx(files=["calc/a.py"], packet=packet, worktree=tmp_path)) == []


def test_no_test_changed_with_medium_risk_is_minor_and_does_not_fail():  # high: tests/test_risk.py
    order = ORDER.model_copy(update={"risk": "medium"})
    found = run_gates(ctx(files=["calc/a.py"], order=order))
    assert [(f.rule, f.severity) for f in found] == [("tests.missing", Severity.MINOR)]
    assert verdict_for(found) == "PASS"
    assert run_gates(ctx(files=["calc/a.py", "tests/test_a.py"], order=order)) == []
    assert run_gates(ctx(files=["calc/a.py"], order=ORDER.model_copy(update={"risk": "low"}))) == []


def test_findings_are_ordered_blockers_first():
    found = run_gates(ctx(files=["docs/x.md", "calc/a.py"], added=[AddedLine("calc/a.py", 1, "# TODO")],
                          order=ORDER.model_copy(update={"risk": "high"})))
    order = [f.severity for f in found]
    assert order == sorted(order, key=[Severity.BLOCKER, Severity.MAJOR, Severity.MINOR].index)


def test_unified_diff_parsing_gives_new_line_numbers():
    diff = (
        "diff --git a/calc/a.py b/calc/a.py\n--- a/calc/a.py\n+++ b/calc/a.py\n"
        "@@ -3,0 +4,2 @@ def f():\n+x = 1\n+# TODO\n@@ -10 +12 @@\n-old\n+new\n"
        "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
        'diff --git "a/sp ace.py" "b/sp ace.py"\n--- /dev/null\n+++ "b/sp ace.py"\n@@ -0,0 +1 @@\n+hi\n'
    )
    assert parse_added_lines(diff) == [AddedLine("calc/a.py", 4, "x = 1"), AddedLine("calc/a.py", 5, "# TODO"),
                                       AddedLine("calc/a.py", 12, "new"), AddedLine("sp ace.py", 1, "hi")]


def test_name_status_parsing_with_renames():
    text = "M\0calc/a.py\0R087\0old.py\0new.py\0A\0x y.py\0"
    assert parse_name_status(text) == [ChangedFile("calc/a.py", "M"), ChangedFile("new.py", "R", "old.py"),
                                       ChangedFile("x y.py", "A")]
