"""PASS_TO_PASS with test identity understood (issue 19, items 2 and 5): a renamed test whose body keeps the
old checks, tests folded into a parametrized test, and a test the work order asks to remove are not
regressions; the same changes without those reasons still are. Real git repositories, real pytest runs."""

from __future__ import annotations

import pytest

from test_baseline import PYTEST, commit, review  # noqa: F401  (fixtures below come from there)
from test_baseline import env, repo  # noqa: F401
from workorder.gates.baseline import gate_baseline
from workorder.contracts.config import RepoConfig
from workorder.contracts import DoDPacket
from workorder.evidence.diff import read_diff
from workorder.gates import GateContext
from workorder.evidence.testresults import CommandResults, TestCase, TestResults
from workorder.contracts.workorder import WorkOrder

TEST_FILE = "tests/test_calc.py"


def write_tests(repo, text: str) -> None:
    (repo.repo / TEST_FILE).write_text("from calc import add, mul\n\n\n" + text)


def rules(findings) -> set[str]:
    return {f.rule for f in findings}


@pytest.fixture
def pytest_base(repo):
    """The repository with pytest-style tests test_add (two asserts) and test_mul."""
    write_tests(repo, "def test_add():\n    assert add(2, 3) == 5\n    assert add(-1, 1) == 0\n\n\n"
                      "def test_mul():\n    assert mul(2, 3) == 6\n")
    return commit(repo, "pytest tests")


def test_a_renamed_test_whose_body_keeps_the_old_checks_is_a_continuation(repo, env, tmp_path, pytest_base):
    write_tests(repo, "def test_add_handles_signs():\n    assert add(2, 3) == 5\n    assert add(-1, 1) == 0\n"
                      "    assert add(-2, -3) == -5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n")
    commit(repo, "rename and extend")
    assert review(repo, env, tmp_path, pytest_base, [PYTEST]) == []


def test_control_a_renamed_test_that_drops_a_check_is_a_regression(repo, env, tmp_path, pytest_base):
    write_tests(repo, "def test_add_handles_signs():\n    assert add(2, 3) == 5\n\n\n"
                      "def test_mul():\n    assert mul(2, 3) == 6\n")
    commit(repo, "rename and drop")
    assert rules(review(repo, env, tmp_path, pytest_base, [PYTEST])) == {"tests.regressed"}


def test_tests_folded_into_a_parametrized_test_are_continued(repo, env, tmp_path, pytest_base):
    write_tests(repo, "import pytest\n\n\n@pytest.mark.parametrize(('a', 'b', 'c'), [(2, 3, 5), (-1, 1, 0)])\n"
                      "def test_add(a, b, c):\n    assert add(a, b) == c\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n")
    commit(repo, "parametrize")
    assert review(repo, env, tmp_path, pytest_base, [PYTEST]) == []


def test_a_failing_parametrized_case_is_a_regression(repo, env, tmp_path, pytest_base):
    write_tests(repo, "import pytest\n\n\n@pytest.mark.parametrize(('a', 'b', 'c'), [(2, 3, 5), (-1, 1, 0), (1, 1, 3)])\n"
                      "def test_add(a, b, c):\n    assert add(a, b) == c\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n")
    commit(repo, "parametrize with a wrong row")
    found = review(repo, env, tmp_path, pytest_base, [PYTEST])
    assert rules(found) == {"tests.regressed"} and "failed" in found[0].evidence


def _review_with_order(repo, env, tmp_path, base, notes):
    from test_baseline import base_results, collect_results, deps_for, run_verify_commands
    log_dir = tmp_path / "review"
    log_dir.mkdir(exist_ok=True)
    runs = run_verify_commands([PYTEST], repo.repo, env, 120, log_dir, test_reports=True)
    now = collect_results(repo.repo, log_dir, runs)
    before = base_results(deps_for(repo, env, tmp_path), 1, base, [PYTEST])
    order = WorkOrder(objective="Retire mul", in_scope=["**"], done_when=["y"], notes=notes)
    ctx = GateContext(order, RepoConfig(), read_diff(repo, base), runs, DoDPacket(status="done", summary="s"),
                      repo.repo, test_results=now, baseline_results=before)
    return gate_baseline(ctx)


@pytest.mark.parametrize(("notes", "expected"), [
    ("Remove mul and delete its test test_mul.", set()),
    ("test_mul is flaky; make it pass.", {"tests.regressed", "tests.fewer_collected"}),
], ids=["ordered", "control-not-ordered"])
def test_a_test_the_work_order_asks_to_remove_may_go(repo, env, tmp_path, pytest_base, notes, expected):
    write_tests(repo, "def test_add():\n    assert add(2, 3) == 5\n    assert add(-1, 1) == 0\n")
    commit(repo, "drop test_mul")
    assert rules(_review_with_order(repo, env, tmp_path, pytest_base, notes)) == expected


@pytest.mark.parametrize(("ref", "test_id"), [
    ("example.com/calc/calc.TestAdd", "example.com/calc/calc.TestAdd"),
    ("example.com/calc/calc.TestAdd", "example.com/calc/calc.TestAdd/negative"),
    ("src/sum.test.js › adds", "src/sum.test.js › adds"),
    ("src/sum.test.js › sum", "src/sum.test.js › sum › adds"),
    ("tests/test_a.py::TestX::test_y", "tests.test_a.TestX.test_y"),
])
def test_go_and_jest_test_ids_match_evidence_as_written(ref, test_id):
    results = TestResults(commands=[CommandResults(cmd="c", source="go", collected=1,
                                                   cases=[TestCase(id=test_id, outcome="passed")])])
    assert [c.id for c in results.matching(ref)] == [test_id]


def test_a_go_id_does_not_match_a_sibling_test():
    results = TestResults(commands=[CommandResults(cmd="c", source="go", collected=1,
                                                   cases=[TestCase(id="example.com/calc.TestAddAll", outcome="passed")])])
    assert results.matching("example.com/calc.TestAdd") == []
