"""Issue 19's first done-when under the default config: a submission whose tests pass on the base source as well
as on the head cannot PASS a behavioural criterion, and every untagged criterion of every risk tier is behaviour.
Real git repositories and real pytest runs (the fixtures of test_fail_to_pass); each gaming submission is shown
passing with the default turned off (``test_required: []``, the control)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from test_baseline import commit  # noqa: F401
from test_baseline import env, repo  # noqa: F401  (fixtures)
from test_fail_to_pass import LOOSE, NEW_REF, PYTEST, SQRT, SQRT_FIXED, STRICT, calc, review  # noqa: F401
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import Severity, verdict_for
from workorder.gates import run_gates
from workorder.gates.criteria import evidence_table

UNTAGGED = "isqrt(-1) raises ValueError('n must be at least 0')"
OFF = RepoConfig.model_validate({"verify_timeout": 120, "fail_to_pass": {"test_required": []}})


def test_the_default_makes_every_untagged_criterion_of_every_tier_behaviour():
    assert RepoConfig().fail_to_pass.test_required == ["low", "medium", "high"]


@pytest.mark.parametrize("risk", ["low", "high"])
def test_tests_that_pass_on_the_base_too_cannot_pass_an_untagged_criterion(repo, env, tmp_path, calc, risk):  # noqa: F811
    # no fix; the new test only asks for ValueError, which math.isqrt raises on the base too
    (repo.repo / "tests" / "test_negative.py").write_text(LOOSE)
    commit(repo, "test only")
    evidence = [("test", NEW_REF), ("command", PYTEST)]
    ctx = review(repo, env, tmp_path, calc, evidence, criterion=UNTAGGED, risk=risk)
    findings = [(f.rule, f.severity) for f in run_gates(ctx) if f.rule.startswith("evidence.")]
    assert findings == [("evidence.not_discriminating", Severity.BLOCKER)]
    control = review(repo, env, tmp_path, calc, evidence, criterion=UNTAGGED, risk=risk, config=OFF)
    assert [f.rule for f in run_gates(control) if f.rule.startswith("evidence.")] == []


def test_the_verify_command_alone_proves_nothing_when_no_test_changed(repo, env, tmp_path, calc):  # noqa: F811
    # the fix reverted, the packet cites the verify command: no test file changed, so the base run stands in
    (repo.repo / "calc.py").write_text(SQRT.replace("math.isqrt(n)", "math.isqrt(n)  # checked"))
    commit(repo, "no fix")
    ctx = review(repo, env, tmp_path, calc, [("command", PYTEST)], criterion=UNTAGGED)
    assert ctx.base_source_results is not None  # the test helper always makes the run; the loop would not
    ctx = replace(ctx, base_source_results=None)  # what observe_base_source gives when no test changed
    [finding] = run_gates(ctx)
    assert (finding.rule, finding.severity) == ("evidence.not_discriminating", Severity.BLOCKER)
    assert "passes on the base source too" in evidence_table(ctx)[0].detail
    assert run_gates(review(repo, env, tmp_path, calc, [("command", PYTEST)], criterion=UNTAGGED, config=OFF)) == []


def test_an_honest_fix_passes_with_its_test_or_with_the_command_that_runs_it(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT_FIXED)
    (repo.repo / "tests" / "test_negative.py").write_text(STRICT)
    commit(repo, "fix")
    ctx = review(repo, env, tmp_path, calc, [("test", NEW_REF), ("command", PYTEST)], criterion=UNTAGGED, risk="medium")
    assert run_gates(ctx) == [] and verdict_for(run_gates(ctx)) == "PASS"
    test_row, command_row = evidence_table(ctx)
    assert "FAIL_TO_PASS: fails on the base source" in test_row.detail
    assert "FAIL_TO_PASS by command" in command_row.detail and "weaker than naming that test" in command_row.detail


def test_a_docs_criterion_still_takes_a_path_line(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT.replace("def isqrt(n):", "def isqrt(n):\n    \"\"\"The integer root.\"\"\""))
    commit(repo, "docstring")
    ctx = review(repo, env, tmp_path, calc, [("path", "calc.py:5")], criterion="[docs] isqrt has a docstring")
    assert run_gates(ctx) == []
    untagged = review(repo, env, tmp_path, calc, [("path", "calc.py:5")], criterion="isqrt has a docstring")
    assert [f.rule for f in run_gates(untagged)] == ["evidence.untested"]
