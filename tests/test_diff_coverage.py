"""Diff coverage (issue 19, item 4): the Python lines a change adds must run under the verify commands; the
review names the path:line ranges that never ran. Real git repositories, real pytest and unittest runs
measured by coverage.py through the review's own verify run."""

from __future__ import annotations

import pytest

from test_baseline import commit  # noqa: F401
from test_baseline import env, repo  # noqa: F401  (fixtures)
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import CriterionEvidence, DoDPacket, Severity, verdict_for
from workorder.evidence.diff import read_diff
from workorder.evidence.coverage_probe import start_probe
from workorder.gates.diff_coverage import gate_diff_coverage, ranges
from workorder.gates import GATES, GateContext, run_gates
from workorder.evidence.testresults import collect_results
from workorder.evidence.verify import run_verify_commands
from workorder.contracts.workorder import WorkOrder

PYTEST = "python -m pytest -q -p no:cacheprovider tests"
UNITTEST = "python -m unittest discover -s tests -t ."
CALC = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
CLAMP = ("\n\ndef clamp(x, low, high):\n    if x < low:\n        return low\n    if x > high:\n"
         "        return high\n    return x\n")
TEST_CLAMP = "from calc import clamp\n\n\ndef test_clamp_inside():\n    assert clamp(5, 0, 10) == 5\n"
TEST_CLAMP_ALL = TEST_CLAMP + ("\n\ndef test_clamp_edges():\n    assert clamp(-1, 0, 10) == 0\n"
                               "    assert clamp(11, 0, 10) == 10\n")


def review(repo, env, tmp_path, base, command=PYTEST, config=None):  # noqa: F811
    """The review's verify run at HEAD, measured, and the gate context with its diff coverage."""
    config = config or RepoConfig()
    diff = read_diff(repo, base)
    probe = start_probe(config, diff, repo.repo)
    log_dir = tmp_path / "review"
    log_dir.mkdir(exist_ok=True)
    runs = run_verify_commands([command], repo.repo, {**env, **(probe.env(env) if probe else {})}, 120, log_dir,
                               test_reports=True)
    covered = probe.read(diff, config.test_patterns) if probe else None
    now = collect_results(repo.repo, log_dir, runs)
    order = WorkOrder(objective="Add clamp", in_scope=["**"], done_when=["clamp works"])
    packet = DoDPacket(status="done", summary="s", files_changed=diff.touched_paths,
                       evidence=[CriterionEvidence(criterion="1", kind="command", ref=command)])
    return GateContext(order, config, diff, runs, packet, repo.repo, test_results=now, diff_coverage=covered)


def add_clamp(repo, tests: str) -> None:  # noqa: F811
    (repo.repo / "calc.py").write_text(CALC + CLAMP)
    (repo.repo / "tests" / "test_clamp.py").write_text(tests)


@pytest.mark.parametrize("command", [PYTEST, UNITTEST], ids=["pytest", "unittest"])
def test_changed_lines_no_test_runs_are_named_with_their_ranges(repo, env, tmp_path, command):  # noqa: F811
    base = repo.rev("HEAD")
    add_clamp(repo, TEST_CLAMP if command == PYTEST else TEST_CLAMP.replace(
        "from calc import clamp\n\n\ndef test_clamp_inside():\n    assert clamp(5, 0, 10) == 5\n",
        "import unittest\n\nfrom calc import clamp\n\n\nclass T(unittest.TestCase):\n"
        "    def test_clamp_inside(self):\n        self.assertEqual(clamp(5, 0, 10), 5)\n"))
    commit(repo, "clamp, half tested")
    ctx = review(repo, env, tmp_path, base, command, config=RepoConfig.model_validate({"diff_coverage": {"min_percent": 100}}))
    others = run_gates(ctx, tuple(g for g in GATES if g is not gate_diff_coverage))
    assert verdict_for(others) == "PASS", [(f.rule, f.message) for f in others]  # control: no other gate sees it
    [finding] = gate_diff_coverage(ctx)
    assert (finding.rule, finding.severity, finding.path, finding.line) == ("coverage.changed_lines", Severity.MAJOR, "calc.py", 11)
    assert "never executed: calc.py:11, calc.py:13" in finding.evidence
    assert finding.message.startswith("2 changed lines never ran under the verify commands (67 %")


def test_honest_change_whose_lines_all_run_passes(repo, env, tmp_path):  # noqa: F811
    base = repo.rev("HEAD")
    add_clamp(repo, TEST_CLAMP_ALL)
    commit(repo, "clamp, tested")
    ctx = review(repo, env, tmp_path, base)
    assert ctx.diff_coverage.changed == {"calc.py": [9, 10, 11, 12, 13, 14]} and gate_diff_coverage(ctx) == []
    assert not (repo.repo / ".workorder-results").exists()


def test_the_threshold_is_config_and_the_check_can_be_off(repo, env, tmp_path):  # noqa: F811
    base = repo.rev("HEAD")
    add_clamp(repo, TEST_CLAMP)
    commit(repo, "clamp, half tested")
    lenient = RepoConfig.model_validate({"diff_coverage": {"min_percent": 60}})
    [note] = gate_diff_coverage(review(repo, env, tmp_path, base, config=lenient))
    assert (note.rule, note.severity) == ("coverage.changed_lines", Severity.MINOR)  # named, not failing
    assert [f.severity for f in gate_diff_coverage(review(repo, env, tmp_path, base))] == [Severity.MINOR]  # default 0
    off = RepoConfig.model_validate({"diff_coverage": {"enabled": False}})
    assert review(repo, env, tmp_path, base, config=off).diff_coverage is None


def test_other_languages_are_not_measured_never_silently_passed(repo, env, tmp_path):  # noqa: F811
    base = repo.rev("HEAD")
    (repo.repo / "calc.go").write_text("package calc\n\nfunc Add(a, b int) int { return a + b }\n")
    commit(repo, "go")
    [finding] = gate_diff_coverage(review(repo, env, tmp_path, base))
    assert (finding.rule, finding.severity) == ("coverage.not_measured", Severity.MINOR) and "`calc.go`" in finding.message


def test_ranges():
    assert ranges([9, 3, 4, 5]) == ["3-5", "9"] and ranges([]) == []
