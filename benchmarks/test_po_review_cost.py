"""The cost of the behavioural checks against the verify time they re-run, on a 2,000-test pytest suite
(run: python -m pytest benchmarks/test_po_review_cost.py --benchmark-enable -s).

A cycle's review re-runs the verify commands (measured for diff coverage: the same run, traced by
coverage.py), runs the evidence tests and the changed test files on the base source under the head's
tests (FAIL_TO_PASS; pytest collects and runs only those tests), and runs the gates.

Budget asserted today: the base-source run and the gates together cost at most 1.0x the plain verify time
(measured 0.74x on a quiet 2-core machine: 5.8 s against 7.95 s, most of it pytest's start-up and
imports compiled without a bytecode cache, plus the work tree). Issue 19's target, a whole review at most 1.5x
the verify time it re-runs (so 0.5x here), is NOT met yet. Diff coverage traces the verify
run itself; its overhead is printed, not budgeted: on this suite of 2,000 one-line tests (the worst case
for a tracer: nothing but calls) it roughly doubles the verify time; ``diff_coverage.enabled: false``
turns it off.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from workorder.loop.audit import Journal  # noqa: E402
from workorder.contracts.config import RepoConfig  # noqa: E402
from workorder.contracts.packet import CriterionEvidence, DoDPacket  # noqa: E402
from workorder.evidence.diff import read_diff  # noqa: E402
from workorder.evidence.coverage_probe import start_probe  # noqa: E402
from workorder.loop.base_source_run import observe_base_source  # noqa: E402
from workorder.gates import GateContext, run_gates  # noqa: E402
from workorder.shell.gitops import Git  # noqa: E402
from workorder.shell.pythonshim import write_python_shim  # noqa: E402
from workorder.evidence.testresults import collect_results  # noqa: E402
from workorder.evidence.verify import run_verify_commands  # noqa: E402
from workorder.contracts.workorder import WorkOrder  # noqa: E402

FILES, TESTS_PER_FILE = 40, 50  # 2,000 tests
PYTEST = "python -m pytest -q -p no:cacheprovider tests"


def build(root: Path, env: dict[str, str]) -> tuple[Git, str]:
    """A repository with 40 modules and 2,000 tests on main, and a head that adds clamp() and its test."""
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    for m in range(FILES):
        (root / "pkg" / f"mod{m}.py").write_text("".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(TESTS_PER_FILE)))
        (root / "tests" / f"test_mod{m}.py").write_text(f"from pkg.mod{m} import *\n\n\n" + "".join(
            f"def test_f{i}():\n    assert f{i}(1) == {i + 1}\n\n\n" for i in range(TESTS_PER_FILE)))
    git = Git(repo=root, env=env)
    git.run("init", "-q", "-b", "main")
    git.run("add", "-A")
    git.run("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "base")
    base = git.rev("HEAD")
    (root / "pkg" / "clamp.py").write_text("def clamp(x, low, high):\n    return max(low, min(x, high))\n")
    (root / "tests" / "test_clamp.py").write_text("from pkg.clamp import clamp\n\n\ndef test_clamp():\n"
                                                   "    assert clamp(11, 0, 10) == 10\n")
    git.run("add", "-A")
    git.run("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "clamp")
    return git, base


def test_po_review_cost_against_verify_time(tmp_path):
    env = {"PATH": f"{write_python_shim(tmp_path / 'bin')}:/usr/bin:/bin", "HOME": str(tmp_path),
           "GIT_CONFIG_GLOBAL": "/dev/null", "LANG": "C.UTF-8"}
    git, base = build(tmp_path / "repo", env)
    config = RepoConfig(verify_timeout=600)
    diff = read_diff(git, base)
    logs = tmp_path / "logs"
    logs.mkdir()

    started = time.perf_counter()
    plain = run_verify_commands([PYTEST], git.repo, env, 600, logs, test_reports=True)
    verify_s = time.perf_counter() - started
    assert plain[0].passed and len(collect_results(git.repo, logs, plain).cases) == FILES * TESTS_PER_FILE + 1

    started = time.perf_counter()
    probe = start_probe(config, diff, git.repo)
    runs = run_verify_commands([PYTEST], git.repo, {**env, **probe.env(env)}, 600, logs, test_reports=True)
    covered = probe.read(diff, config.test_patterns)
    measured_s = time.perf_counter() - started
    now = collect_results(git.repo, logs, runs)

    packet = DoDPacket(status="done", summary="s", files_changed=diff.touched_paths,
                       evidence=[CriterionEvidence(criterion="1", kind="test", ref="tests/test_clamp.py::test_clamp")])
    deps = SimpleNamespace(git=git, worktrees=tmp_path / "worktrees", verify_env=env, sandbox=None, config=config,
                           journal=Journal(tmp_path / "runs"))
    started = time.perf_counter()
    source = observe_base_source(deps, 1, base, git.rev("HEAD"), [PYTEST], packet, diff)
    f2p_s = time.perf_counter() - started

    order = WorkOrder(objective="clamp", in_scope=["**"], done_when=["[test] clamp clamps"])
    ctx = GateContext(order, config, diff, runs, packet, git.repo, test_results=now, base_source_results=source,
                      diff_coverage=covered)
    started = time.perf_counter()
    findings = run_gates(ctx)
    gates_s = time.perf_counter() - started

    print(f"\nverify (2,001 tests) {verify_s:.2f} s | base-source run {f2p_s:.2f} s + gates {gates_s:.2f} s = "
          f"{(f2p_s + gates_s) / verify_s:.2f}x verify | verify measured for diff coverage {measured_s:.2f} s = "
          f"{measured_s / verify_s:.2f}x verify")
    assert findings == [] and covered.percent == 100.0
    # only the evidence / changed test file ran on the base source (there it cannot even import pkg.clamp)
    assert [(c.id, c.outcome) for c in source.cases] == [("tests.test_clamp", "error")]
    assert f2p_s + gates_s <= 1.0 * verify_s  # issue 19's target is 0.5x: not met yet (see the docstring)
