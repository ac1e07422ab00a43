"""Tests that passed on the base must still pass, and no fewer run: real git repositories, real pytest and
unittest runs, the base run cached per work order, and the whole loop catching a skipped test."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from workorder.loop.audit import Journal
from workorder.gates.baseline import gate_baseline, regressions, shortfalls
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import DoDPacket, Severity
from workorder.evidence.diff import read_diff
from workorder.gates.context import GateContext
from workorder.shell.gitops import Git
from workorder.local.forge import LocalForge
from workorder.evidence.testresults import (
    CommandResults,
    TestCase,
    TestResults,
    collect_results,
    normalise_test_id,
    read_junit,
    read_unittest_output,
)
from workorder.evidence.verify import run_verify_commands
from workorder.contracts.workorder import WorkOrder
from workorder.loop.base_run import base_results

PYTEST = "python -m pytest -q -p no:cacheprovider tests"
UNITTEST_V = "python -m unittest discover -v -s tests -t ."
UNITTEST = "python -m unittest discover -s tests -t ."
CALC = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
TESTS = (
    "import unittest\n\nfrom calc import add, mul\n\n\n"
    "class CalcTest(unittest.TestCase):\n"
    "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n"
    "    def test_mul(self):\n        self.assertEqual(mul(2, 3), 6)\n\n"
    "    def test_neg(self):\n        self.assertEqual(add(-1, 1), 0)\n"
)


@pytest.fixture
def env(python_bin: Path, tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{python_bin}:/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8"}


@pytest.fixture
def repo(tmp_path: Path, env: dict[str, str]) -> Git:
    """A git repository on ``main`` with calc.py and three passing tests (unittest style, pytest runs them too)."""
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "test_calc.py").write_text(TESTS)
    git = Git(repo=root, env=env)
    git.run("init", "-q", "-b", "main")
    commit(git, "base")
    return git


def commit(git: Git, message: str) -> str:
    git.run("add", "-A")
    git.run("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", message)
    sha = git.rev("HEAD")
    assert sha
    return sha


def deps_for(git: Git, env: dict[str, str], tmp_path: Path, sandbox=None) -> SimpleNamespace:
    """The parts of LoopDeps the base run uses."""
    return SimpleNamespace(git=git, worktrees=tmp_path / "worktrees", verify_env=env, sandbox=sandbox,
                           config=RepoConfig(verify_timeout=120), journal=Journal(tmp_path / "runs"))


def review(git: Git, env: dict[str, str], tmp_path: Path, base: str, commands: list[str]) -> list:
    """Run ``commands`` in the repository at HEAD the way the loop's review does, and the baseline gate."""
    log_dir = tmp_path / "review"
    log_dir.mkdir(exist_ok=True)
    runs = run_verify_commands(commands, git.repo, env, 120, log_dir, test_reports=True)
    now = collect_results(git.repo, log_dir, runs)
    assert not (git.repo / ".workorder-results").exists()
    before = base_results(deps_for(git, env, tmp_path), 1, base, commands)
    order = WorkOrder(objective="x", in_scope=["**"], done_when=["y"])
    ctx = GateContext(order, RepoConfig(), read_diff(git, base), runs, DoDPacket(status="done", summary="s"),
                      git.repo, test_results=now, baseline_results=before)
    return gate_baseline(ctx)


def mark(path: Path, test: str, line: str) -> None:
    text = path.read_text()
    path.write_text(text.replace(f"    def {test}(", f"    {line}\n    def {test}(", 1))


def break_mul(root: Path) -> None:
    (root / "calc.py").write_text(CALC.replace("a * b", "a + b"))


def delete_mul_test(root: Path) -> None:
    text = (root / "tests" / "test_calc.py").read_text()
    (root / "tests" / "test_calc.py").write_text(text.replace("    def test_mul(self):\n        self.assertEqual(mul(2, 3), 6)\n\n", ""))


def skip_mul_test(root: Path) -> None:
    mark(root / "tests" / "test_calc.py", "test_mul", '@unittest.skip("flaky")')


def xfail_broken_mul(root: Path) -> None:
    break_mul(root)
    mark(root / "tests" / "test_calc.py", "test_mul", "@unittest.expectedFailure")


def delete_test_file(root: Path) -> None:
    (root / "tests" / "test_calc.py").unlink()
    (root / "tests" / "test_other.py").write_text("def test_other():\n    assert True\n")


@pytest.mark.parametrize(("change", "now", "fewer"), [
    (break_mul, "failed", False),
    (delete_mul_test, "missing", True),
    (skip_mul_test, "skipped", False),
    (xfail_broken_mul, "skipped", False),
], ids=["failing", "deleted", "skipped", "xfail"])
@pytest.mark.parametrize("command", [PYTEST, UNITTEST_V], ids=["pytest", "unittest-v"])
def test_a_test_that_passed_on_the_base_and_no_longer_passes_is_a_blocker(repo, env, tmp_path, change, now, fewer, command):
    base = repo.rev("HEAD")
    change(repo.repo)
    commit(repo, "change")
    findings = review(repo, env, tmp_path, base, [command])
    by_rule = {f.rule: f for f in findings}
    regressed = by_rule["tests.regressed"]
    label = "tests/test_calc.py::CalcTest::test_mul" if command == PYTEST else "tests.test_calc.CalcTest.test_mul"
    assert regressed.severity is Severity.BLOCKER and regressed.evidence == f"{label}: passed on the base, now {now}"
    assert "1 test that passed on the base is now missing, skipped or failing" == regressed.message
    assert ("tests.fewer_collected" in by_rule) is fewer
    if fewer:
        assert by_rule["tests.fewer_collected"].message == f"`{command}` collects 2 tests, 1 fewer than the 3 on the base"
        assert f"gone: {label}" in by_rule["tests.fewer_collected"].evidence


def test_a_deleted_test_file_lists_every_test_it_held(repo, env, tmp_path):
    base = repo.rev("HEAD")
    delete_test_file(repo.repo)
    commit(repo, "replace the tests")
    [regressed, fewer] = review(repo, env, tmp_path, base, [PYTEST])
    assert regressed.rule == "tests.regressed" and regressed.evidence.count("now missing") == 3
    assert fewer.rule == "tests.fewer_collected" and "collects 1 test, 2 fewer than the 3 on the base" in fewer.message


def test_without_per_test_ids_a_drop_in_the_count_is_still_a_blocker(repo, env, tmp_path):
    base = repo.rev("HEAD")
    delete_mul_test(repo.repo)
    commit(repo, "drop a test")
    [fewer] = review(repo, env, tmp_path, base, [UNITTEST])
    assert fewer.rule == "tests.fewer_collected" and fewer.severity is Severity.BLOCKER
    assert fewer.evidence == f"`{UNITTEST}`: 3 collected on the base, 2 on the branch"


@pytest.mark.parametrize("command", [PYTEST, UNITTEST_V, UNITTEST])
def test_honest_changes_pass(repo, env, tmp_path, command):
    base = repo.rev("HEAD")
    (repo.repo / "calc.py").write_text(CALC + "\n\ndef sub(a, b):\n    return a - b\n")
    (repo.repo / "tests" / "test_sub.py").write_text(
        "import unittest\n\nfrom calc import sub\n\n\nclass SubTest(unittest.TestCase):\n"
        "    def test_sub(self):\n        self.assertEqual(sub(3, 2), 1)\n")
    commit(repo, "add sub")
    assert review(repo, env, tmp_path, base, [command]) == []


def test_a_renamed_test_file_keeps_its_tests(repo, env, tmp_path):
    base = repo.rev("HEAD")
    repo.run("mv", "tests/test_calc.py", "tests/test_arith.py")
    commit(repo, "rename the tests")
    assert review(repo, env, tmp_path, base, [PYTEST]) == []


def test_unreadable_results_on_the_branch_are_fewer_collected(repo, env, tmp_path):
    base = repo.rev("HEAD")
    (repo.repo / "conftest.py").write_text("def pytest_configure(config):\n    config.option.xmlpath = None\n")
    commit(repo, "turn the report off")
    findings = review(repo, env, tmp_path, base, [PYTEST])
    assert [f.rule for f in findings] == ["tests.fewer_collected"]
    assert "could not read the test results" in findings[0].message


def test_the_base_run_is_cached_per_base_and_commands_and_uses_the_sandbox(repo, env, tmp_path):
    class RecordingSandbox:
        def __init__(self):
            self.cwds: list[Path] = []

        @contextlib.contextmanager
        def phase(self, cwd, run_env, exchange=None):
            self.cwds.append(Path(cwd))
            yield SimpleNamespace(popen_kwargs=lambda cmd: {"args": cmd, "shell": True, "cwd": cwd, "env": run_env})

    sandbox = RecordingSandbox()
    deps = deps_for(repo, env, tmp_path, sandbox)
    base = repo.rev("HEAD")
    first = base_results(deps, 7, base, [PYTEST])
    assert sandbox.cwds == [tmp_path / "worktrees" / "7-base"] and not sandbox.cwds[0].exists()
    assert [c.collected for c in first.commands] == [3] and {c.outcome for c in first.cases} == {"passed"}
    [records] = (tmp_path / "runs" / "7").iterdir()
    assert {"results.json", "verify-1.log", "junit-1.xml"} <= {p.name for p in records.iterdir()}
    assert base_results(deps, 7, base, [PYTEST]) == first and len(sandbox.cwds) == 1  # cached
    base_results(deps, 7, base, [UNITTEST])  # other commands: run again
    assert len(sandbox.cwds) == 2
    assert "7-base" not in repo.run("worktree", "list")


# -- parsers -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("ref", "dotted"), [
    ("tests/test_a.py::TestX::test_y[1-2]", "tests.test_a.TestX.test_y[1-2]"),
    ("./tests/test_a.py::test_y", "tests.test_a.test_y"),
    ("tests/test_a.py", "tests.test_a"),
    ("tests.test_a.TestX.test_y", "tests.test_a.TestX.test_y"),
    ("tests/test_a.py::test_p[a/b.py]", "tests.test_a.test_p[a/b.py]"),
])
def test_test_ids_are_normalised_to_the_dotted_form(ref, dotted):
    assert normalise_test_id(ref) == dotted


def test_junit_outcomes_and_node_ids():
    xml = ('<testsuites><testsuite><testcase classname="tests.test_a.C" name="test_x" file="tests/test_a.py"/>'
           '<testcase classname="tests.test_a" name="test_f" file="tests/test_a.py"><failure message="m"/></testcase>'
           '<testcase classname="tests.test_a" name="test_e"><error/></testcase>'
           '<testcase classname="tests.test_a" name="test_s"><skipped/></testcase></testsuite></testsuites>')
    cases = read_junit(xml)
    assert [(c.label, c.outcome) for c in cases] == [
        ("tests/test_a.py::C::test_x", "passed"), ("tests/test_a.py::test_f", "failed"),
        ("tests.test_a.test_e", "error"), ("tests.test_a.test_s", "skipped")]


def test_unittest_verbose_output_with_docstrings_prints_and_failures():
    out = ("test_a (tests.t.C.test_a)\nDoc line. ... ok\ntest_b (tests.t.C) ... skipped 'x'\n"
           "test_c (tests.t.C.test_c) ... hello from the test\nFAIL\ntest_d (tests.t.C.test_d) ... printed\nok\n"
           "test_e (tests.t.C.test_e) ... expected failure\n\n"
           "======\nFAIL: test_c (tests.t.C.test_c)\n------\nRan 5 tests in 0.001s\n\nFAILED (failures=1)\n")
    result = read_unittest_output("cmd", out)
    assert result is not None and result.collected == 5
    assert {c.id: c.outcome for c in result.cases} == {
        "tests.t.C.test_a": "passed", "tests.t.C.test_b": "skipped", "tests.t.C.test_c": "failed",
        "tests.t.C.test_d": "passed", "tests.t.C.test_e": "skipped"}
    assert read_unittest_output("cmd", "no tests here") is None


def test_a_report_that_is_not_xml_or_a_symlink_is_unknown(tmp_path):
    tree, logs = tmp_path / "tree", tmp_path / "logs"
    (tree / ".workorder-results").mkdir(parents=True)
    logs.mkdir()
    (tree / ".workorder-results" / "junit-1.xml").write_text("<testsuite><testcase")
    secret = tmp_path / "secret.xml"
    secret.write_text('<testsuite><testcase classname="a" name="b"/></testsuite>')
    os.symlink(secret, tree / ".workorder-results" / "junit-2.xml")
    runs = [SimpleNamespace(cmd="one"), SimpleNamespace(cmd="two")]
    assert collect_results(tree, logs, runs).commands == []
    assert not (tree / ".workorder-results").exists()


def test_comparison_ignores_commands_whose_tests_are_not_named_on_both_sides():
    named = CommandResults(cmd="c", source="junit", collected=2, cases=[TestCase(id="a.b", outcome="passed"),
                                                                         TestCase(id="a.c", outcome="failed")])
    counted = CommandResults(cmd="c", source="unittest", collected=2)
    assert regressions(TestResults(commands=[named]), TestResults(commands=[counted])) == []
    assert shortfalls(TestResults(commands=[named]), TestResults(commands=[counted])) == []
    gone = regressions(TestResults(commands=[named]), TestResults(commands=[named.model_copy(update={"cases": [], "collected": 0})]))
    assert [(r.label, r.now) for r in gone] == [("a.b", "missing")]  # a.c failed on the base: not counted


# -- the whole loop ------------------------------------------------------------------------------
AGENT = r'''
import json, os, re, sys
from pathlib import Path
mode = sys.argv[1]
ops = Path("calc/ops.py")
ops.write_text(ops.read_text() + '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return a - b\n')
Path("tests/test_subtract.py").write_text("import unittest\n\nfrom calc.ops import subtract\n\n\n"
    "class SubtractTest(unittest.TestCase):\n    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n")
changed = ["calc/ops.py", "tests/test_subtract.py"]
if mode == "skip":
    test = Path("tests/test_add.py")
    test.write_text(test.read_text().replace("    def test_add(", '    @unittest.skip("later")\n    def test_add('))
    changed.append("tests/test_add.py")
evidence = json.loads(sys.argv[2])
Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps({"status": "done", "summary": "subtract",
    "files_changed": changed, "evidence": evidence}))
'''


def run_order(tmp_path: Path, workspace: Path, python_bin: Path, mode: str, evidence: list[dict],
              done_when: tuple[str, ...] = ("subtract(5, 3) == 2",), verify: str = PYTEST):
    """One work order through the loop over the local forge, with a scripted agent in ``mode`` (``pass``
    or ``skip``: also skip the existing test_add) handing back ``evidence``. Returns (state, verdict JSON)."""
    from test_loop_local import run_loop

    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    command = " ".join(shlex.quote(p) for p in [sys.executable, str(agent), mode, json.dumps(evidence)])
    body = ("---\nobjective: Add subtract.\nin_scope: ['calc/**', 'tests/**']\ndone_when:\n"
            + "".join(f"  - {json.dumps(d)}\n" for d in done_when) + f"verify: [{json.dumps(verify)}]\nrisk: low\n---\n")
    forge = LocalForge(tmp_path / "forge", permissions={"alice": "write"})
    forge.open_issue("Add subtract", body, ["wo:ready"], "alice")
    outcome, forge, _ = run_loop(tmp_path, workspace, python_bin, command, timeout=120, body=body,
                                 config_text="max_cycles: 1\n", forge=forge)
    verdict = json.loads((tmp_path / "runs" / "1" / "1-review" / "verdict.json").read_text())
    return outcome.state, verdict, forge


EVIDENCE = [{"criterion": "1", "kind": "test", "ref": "tests/test_subtract.py::SubtractTest::test_subtract"}]


def test_the_loop_fails_a_skipped_test_that_passed_on_the_base(tmp_path, workspace, python_bin):
    state, verdict, _ = run_order(tmp_path, workspace, python_bin, "skip", EVIDENCE)
    assert state.state == "blocked" and verdict["verdict"] == "FAIL"
    [regressed] = [f for f in verdict["findings"] if f["rule"] == "tests.regressed"]
    assert regressed["severity"] == "BLOCKER"
    assert regressed["evidence"] == "tests/test_add.py::AddTest::test_add: passed on the base, now skipped"
    assert [p.name for p in (tmp_path / "runs" / "1").iterdir() if p.name.startswith("base-")]


def test_the_loop_passes_an_honest_change_with_proven_evidence(tmp_path, workspace, python_bin):
    state, verdict, _ = run_order(tmp_path, workspace, python_bin, "pass", EVIDENCE)
    assert (state.state, verdict["verdict"], verdict["findings"]) == ("passed", "PASS", [])
    assert [(r["ref"], r["verified"]) for r in verdict["evidence"]] == [(EVIDENCE[0]["ref"], True)]


FAKE_PYTEST = """import os, shlex
from pathlib import Path
report = [a.split("=", 1)[1] for a in shlex.split(os.environ["PYTEST_ADDOPTS"]) if a.startswith("--junitxml=")][0]
Path(report).parent.mkdir(parents=True, exist_ok=True)
Path(report).write_text('<testsuite><testcase classname="tests.test_calc" name="test_%s" file="tests/test_calc.py"/></testsuite>'
                        % os.getuid())
"""


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
                    reason="runs the base as the sandbox's agent user (needs root and a python it may run)")
def test_the_base_run_writes_its_report_as_the_sandbox_agent_user(repo, env, tmp_path):
    from workorder.shell.isolation import AGENT_USER, sandbox_for

    (repo.repo / "fake_pytest.py").write_text(FAKE_PYTEST)
    commit(repo, "a stand-in for pytest that writes the report it is asked for")
    sandbox = sandbox_for("user", holds_credential=True, privilege="root")
    assert sandbox is not None
    try:
        deps = deps_for(repo, env, tmp_path, sandbox)
        deps.worktrees = sandbox.worktrees
        results = base_results(deps, 3, repo.rev("HEAD"), ["/usr/bin/python3 fake_pytest.py"])
    finally:
        sandbox.close()
    agent_uid = pwd.getpwnam(AGENT_USER).pw_uid
    assert [c.label for c in results.cases] == [f"tests/test_calc.py::test_{agent_uid}"]
