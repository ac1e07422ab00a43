"""FAIL_TO_PASS evidence (issue 19, item 1): a behavioural criterion is proven only by a test that fails on the
base source (the base commit's code under the head's tests) and passes on the head. Real git repositories and
real pytest runs; each gaming submission is shown passing every other gate (the control) and failing this one."""

from __future__ import annotations

import pytest

from test_baseline import commit, deps_for  # noqa: F401
from test_baseline import env, repo  # noqa: F401  (fixtures)
from workorder.loop.base_run import base_results
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import CriterionEvidence, DoDPacket, Severity, verdict_for
from workorder.evidence.diff import read_diff
from workorder.gates.criteria import evidence_table
from workorder.gates.fail_to_pass import gate_fail_to_pass, needs_test
from workorder.loop.base_source_run import base_source_results
from workorder.gates import GATES, GateContext, run_gates
from workorder.evidence.testresults import collect_results
from workorder.evidence.verify import run_verify_commands
from workorder.contracts.workorder import WorkOrder

PYTEST = "python -m pytest -q -p no:cacheprovider tests"
SQRT = "import math\n\n\ndef isqrt(n):\n    return math.isqrt(n)\n"
SQRT_FIXED = ("import math\n\n\ndef isqrt(n):\n    if n < 0:\n        raise ValueError('n must be at least 0')\n"
              "    return math.isqrt(n)\n")
OLD_TEST = "from calc import isqrt\n\n\ndef test_isqrt():\n    assert isqrt(16) == 4\n"
STRICT = ("import pytest\n\nfrom calc import isqrt\n\n\ndef test_negative_is_refused():\n"
          "    with pytest.raises(ValueError, match='n must be at least 0'):\n        isqrt(-1)\n")
LOOSE = STRICT.replace(", match='n must be at least 0'", "")
CRITERION = "[test] isqrt(-1) raises ValueError('n must be at least 0')"
NEW_REF = "tests/test_negative.py::test_negative_is_refused"


@pytest.fixture
def calc(repo):  # noqa: F811
    """The repository with calc.isqrt (math.isqrt's own ValueError for negatives) and one passing test."""
    for name in ("calc.py", "tests/test_calc.py", "tests/__init__.py"):
        (repo.repo / name).unlink(missing_ok=True)
    (repo.repo / "tests").mkdir(exist_ok=True)
    (repo.repo / "calc.py").write_text(SQRT)
    (repo.repo / "tests" / "test_isqrt.py").write_text(OLD_TEST)
    return commit(repo, "isqrt")


def review(repo, env, tmp_path, base, evidence, criterion=CRITERION, risk="low", config=None):  # noqa: F811
    """The gates on HEAD of ``repo`` the way the loop's review runs them, with the base-source run."""
    config = config or RepoConfig(verify_timeout=120)
    log_dir = tmp_path / "review"
    log_dir.mkdir(exist_ok=True)
    runs = run_verify_commands([PYTEST], repo.repo, env, 120, log_dir, test_reports=True)
    now = collect_results(repo.repo, log_dir, runs)
    deps = deps_for(repo, env, tmp_path)
    deps.config = config
    before = base_results(deps, 1, base, [PYTEST])
    source = base_source_results(deps, 1, base, repo.rev("HEAD"), [PYTEST])
    diff = read_diff(repo, base)
    order = WorkOrder(objective="Refuse negative input", in_scope=["**"], done_when=[criterion], risk=risk)
    packet = DoDPacket(status="done", summary="s", files_changed=diff.touched_paths,
                       evidence=[CriterionEvidence(criterion="1", kind=k, ref=r) for k, r in evidence])
    return GateContext(order, config, diff, runs, packet, repo.repo, test_results=now, baseline_results=before,
                       base_source_results=source)


def without_fail_to_pass(ctx):
    return run_gates(ctx, tuple(g for g in GATES if g is not gate_fail_to_pass))


def test_honest_fix_with_a_strict_test_is_proven_fail_to_pass(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT_FIXED)
    (repo.repo / "tests" / "test_negative.py").write_text(STRICT)
    commit(repo, "fix")
    ctx = review(repo, env, tmp_path, calc, [("test", NEW_REF)])
    assert run_gates(ctx) == []
    [row] = evidence_table(ctx)
    assert row.verified and "FAIL_TO_PASS: fails on the base source under the head's tests, passes on the head" in row.detail


def test_gaming_a_loosened_test_the_old_code_already_passes_is_a_blocker(repo, env, tmp_path, calc):  # noqa: F811
    # the fix is not made; the new test only asks for ValueError, which math.isqrt raises on the base too
    (repo.repo / "tests" / "test_negative.py").write_text(LOOSE)
    commit(repo, "test only")
    ctx = review(repo, env, tmp_path, calc, [("test", NEW_REF)])
    assert verdict_for(without_fail_to_pass(ctx)) == "PASS"  # control: every other gate passes it
    [finding] = run_gates(ctx)
    assert (finding.rule, finding.severity) == ("evidence.not_discriminating", Severity.BLOCKER)
    assert f"{NEW_REF}: passed on the base source" in finding.evidence
    assert "passes on the base source too" in evidence_table(ctx)[0].detail


def test_gaming_citing_a_test_that_already_passed_on_the_base_is_a_blocker(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT.replace("math.isqrt(n)", "math.isqrt(n)  # reviewed"))
    commit(repo, "no fix")
    ctx = review(repo, env, tmp_path, calc, [("test", "tests/test_isqrt.py::test_isqrt")])
    assert verdict_for(without_fail_to_pass(ctx)) == "PASS"
    assert [(f.rule, f.severity) for f in run_gates(ctx)] == [("evidence.not_discriminating", Severity.BLOCKER)]


def test_gaming_citing_only_the_verify_command_that_passes_on_the_base_is_a_blocker(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT.replace("math.isqrt(n)", "math.isqrt(n)  # reviewed"))
    commit(repo, "no fix")
    ctx = review(repo, env, tmp_path, calc, [("command", PYTEST)])
    assert verdict_for(without_fail_to_pass(ctx)) == "PASS"
    assert [(f.rule, f.severity) for f in run_gates(ctx)] == [("evidence.not_discriminating", Severity.BLOCKER)]


def test_gaming_citing_only_a_path_line_is_untested(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT.replace("math.isqrt(n)", "math.isqrt(n)  # reviewed"))
    commit(repo, "no fix")
    ctx = review(repo, env, tmp_path, calc, [("path", "calc.py:5")])
    assert verdict_for(without_fail_to_pass(ctx)) == "PASS"
    assert [(f.rule, f.severity) for f in run_gates(ctx)] == [("evidence.untested", Severity.MAJOR)]


def test_an_idle_test_next_to_a_proving_one_is_major(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT_FIXED)
    (repo.repo / "tests" / "test_negative.py").write_text(STRICT)
    commit(repo, "fix")
    ctx = review(repo, env, tmp_path, calc, [("test", NEW_REF), ("test", "tests/test_isqrt.py::test_isqrt")])
    assert [(f.rule, f.severity) for f in run_gates(ctx)] == [("evidence.not_discriminating", Severity.MAJOR)]


def test_criteria_that_are_not_behaviour_accept_weaker_evidence_and_say_so(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT_FIXED)
    (repo.repo / "tests" / "test_negative.py").write_text(STRICT)
    commit(repo, "fix")
    ctx = review(repo, env, tmp_path, calc, [("test", NEW_REF), ("command", PYTEST)], criterion="[docs] it is documented")
    assert run_gates(ctx) == []
    assert "weaker than" in evidence_table(ctx)[1].detail


def test_the_base_source_run_takes_the_heads_tests_and_is_cached(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT_FIXED)
    (repo.repo / "tests" / "test_negative.py").write_text(STRICT)
    (repo.repo / "tests" / "test_isqrt.py").unlink()
    head = commit(repo, "fix, and the old test file moved")
    deps = deps_for(repo, env, tmp_path)
    results = base_source_results(deps, 1, calc, head, [PYTEST])
    assert {c.id: c.outcome for c in results.cases} == {"tests.test_negative.test_negative_is_refused": "failed"}
    [records] = [p for p in (tmp_path / "runs" / "1").iterdir() if p.name.startswith("f2p-")]
    (records / "results.json").write_text('{"commands": []}')
    assert base_source_results(deps, 1, calc, head, [PYTEST]).commands == []  # the record, not a new run
    assert not (tmp_path / "worktrees" / "1-f2p").exists()


@pytest.mark.parametrize(("criterion", "risk", "required", "needed"), [
    ("[test] a == 1", "low", [], True),
    ("[behaviour] a == 1", "low", [], True),
    ("[no-test] docs updated", "high", ["high"], False),
    ("[docs] docs updated", "high", ["high"], False),
    ("a == 1", "high", ["high"], True),
    ("a == 1", "medium", ["high"], False),
    ("a == 1", "medium", ["medium", "high"], True),
    ("a == 1", "low", None, True),  # the default: every tier
    ("[refactor] the helpers move to util.py", "low", None, False),
])
def test_which_criteria_need_a_test(criterion, risk, required, needed):
    raw = {} if required is None else {"fail_to_pass": {"test_required": required}}
    config = RepoConfig.model_validate(raw).fail_to_pass
    assert needs_test(criterion, risk, config) is needed


def test_the_check_can_be_turned_off(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "tests" / "test_negative.py").write_text(LOOSE)
    commit(repo, "test only")
    config = RepoConfig.model_validate({"verify_timeout": 120, "fail_to_pass": {"enabled": False}})
    assert gate_fail_to_pass(review(repo, env, tmp_path, calc, [("test", NEW_REF)], config=config)) == []



def test_the_base_source_run_runs_only_the_wanted_tests(repo, env, tmp_path, calc):  # noqa: F811
    (repo.repo / "calc.py").write_text(SQRT_FIXED)
    (repo.repo / "tests" / "test_negative.py").write_text(STRICT + "\n\ndef test_other():\n    assert True\n")
    head = commit(repo, "fix")
    deps = deps_for(repo, env, tmp_path)
    results = base_source_results(deps, 1, calc, head, [PYTEST], ["tests.test_negative.test_negative_is_refused"])
    assert {c.id: c.outcome for c in results.cases} == {"tests.test_negative.test_negative_is_refused": "failed"}
    everything = base_source_results(deps, 1, calc, head, [PYTEST], [])
    assert len(everything.cases) == 3  # no selection: every test (test_isqrt, both of test_negative)


@pytest.mark.parametrize("body", [
    "    return\n    assert isqrt(-1) == 0\n",                       # an early return before the asserts
    pytest.param("    if False:\n        assert isqrt(-1) == 0\n", marks=pytest.mark.slow),  # asserts under if False
    pytest.param("    try:\n        isqrt(-1)\n    except Exception:\n        pass\n",  # try/except: pass
                 marks=pytest.mark.slow),
], ids=["early-return", "if-false", "try-except-pass"])  # the fast tier runs one probe, the slow tier all
def test_small_probes_the_pattern_gates_missed_cannot_prove_a_criterion(repo, env, tmp_path, calc, body):  # noqa: F811
    (repo.repo / "tests" / "test_negative.py").write_text(
        "from calc import isqrt\n\n\ndef test_negative_is_refused():\n" + body)
    commit(repo, "a test that checks nothing")
    ctx = review(repo, env, tmp_path, calc, [("test", NEW_REF)])
    assert [(f.rule, f.severity) for f in run_gates(ctx) if f.rule.startswith("evidence.")] == [
        ("evidence.not_discriminating", Severity.BLOCKER)]
