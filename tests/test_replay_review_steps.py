"""`workorder replay` observes a recorded cycle as the action's review does (one code path,
workorder.loop.review_runs): the held-out acceptance tests and diff coverage too, not only the verify run, the
base run and FAIL_TO_PASS. A record written when those checks were missing (its verdict PASS) replays to
acceptance.failed and a changed line that never ran; the honest change (control) replays to neither."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workorder.contracts.packet import CriterionEvidence, DoDPacket, Verdict
from workorder.contracts.workorder import WorkOrder
from workorder.local import replay as replay_module
from workorder.local.replay import replay_review
from workorder.shell.gitops import Git
from workorder.shell.pythonshim import write_python_shim

CONFIG = ("verify: ['python -m pytest -q -p no:cacheprovider tests']\n"
          "acceptance:\n  paths: ['acceptance/**']\n  commands: ['python -m pytest -q -p no:cacheprovider acceptance']\n")
HELDOUT = "from calc import subtract\n\n\ndef test_subtract_large():\n    assert subtract(1009, 967) == 42\n"
VISIBLE = "from calc import subtract\n\n\ndef test_subtract():\n    assert subtract(5, 3) == 2\n"
GAMED = ("def subtract(a, b):\n    return {(5, 3): 2}.get((a, b), a + b)\n\n\n"
         "def negate(a):\n    return -a\n")  # a lookup table of the visible test's inputs, and code no test runs
HONEST = "def subtract(a, b):\n    return a - b\n"


def commit(git: Git, message: str) -> str:
    git.run("add", "-A")
    git.run("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", message)
    return git.rev("HEAD")


def recorded_cycle(tmp_path: Path, body: str) -> tuple[Git, Path, dict[str, str]]:
    """A repository whose main holds the config and a held-out test, and the record of a review of the
    agent's ``body`` for calc.py that found nothing (as an older release without these checks would)."""
    env = {"PATH": f"{write_python_shim(tmp_path / 'bin')}:/usr/bin:/bin", "HOME": str(tmp_path),
           "GIT_CONFIG_GLOBAL": "/dev/null", "LANG": "C.UTF-8"}
    repo = tmp_path / "repo"
    for path, text in {".github/workorder.yml": CONFIG, "calc.py": "", "tests/test_calc.py": "import calc\n",
                       "acceptance/test_subtract_hidden.py": HELDOUT}.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git = Git(repo=repo, env=env)
    git.run("init", "-q", "-b", "main")
    base = commit(git, "base")
    (repo / "calc.py").write_text(body)
    (repo / "tests" / "test_subtract.py").write_text(VISIBLE)
    commit(git, "agent")
    record = tmp_path / "runs" / "1" / "1-review"
    record.mkdir(parents=True)
    (record / "diff.patch").write_text(git.run("diff", "--binary", base, "HEAD"))
    git.run("checkout", "-q", base)  # the work branch is gone: replay has the base and the patch
    packet = DoDPacket(status="done", summary="subtract", files_changed=["calc.py", "tests/test_subtract.py"],
                       evidence=[CriterionEvidence(criterion="1", kind="test", ref="tests/test_subtract.py::test_subtract")])
    order = WorkOrder(objective="Add subtract.", in_scope=["calc.py", "tests/**"], done_when=["subtract(a, b) == a - b"])
    (record / "replay.json").write_text(json.dumps({
        "base": base, "issue": 1, "title": "Add subtract", "order": order.model_dump(mode="json"), "reverted": [],
        "packet": packet.model_dump(mode="json")}))
    (record / "verdict.json").write_text(Verdict(verdict="PASS").model_dump_json())
    return git, record, env


def replayed_findings(tmp_path: Path, body: str) -> dict[str, dict]:
    git, record, env = recorded_cycle(tmp_path, body)
    work = tmp_path / "scratch"
    work.mkdir()
    replayed = replay_review(git, record, tmp_path / "runs", env, work)
    verdict = json.loads("\n".join(replayed.replayed))
    return {f["rule"]: f for f in verdict["findings"]} | {"verdict": verdict["verdict"]}


def test_a_replayed_cycle_reports_the_held_out_failure_and_the_line_no_test_runs(tmp_path):
    found = replayed_findings(tmp_path, GAMED)
    assert found["verdict"] == "FAIL"
    assert found["acceptance.failed"]["severity"] == "BLOCKER"
    assert "1 of 1 held-out acceptance tests fail" in found["acceptance.failed"]["evidence"]
    assert "calc.py:6" in json.dumps(found["coverage.changed_lines"])  # `return -a` never ran
    assert not (tmp_path / "scratch" / "1-1-review").exists()


def test_control_the_honest_change_replays_without_either_finding(tmp_path):
    found = replayed_findings(tmp_path, HONEST)
    assert "acceptance.failed" not in found and "coverage.changed_lines" not in found
    assert found["verdict"] == "PASS", found


@pytest.mark.parametrize("step", ["run_heldout", "start_probe"])
def test_control_without_the_review_step_replay_misses_it(tmp_path, monkeypatch, step):
    from workorder.loop import review_runs

    monkeypatch.setattr(review_runs, step, lambda *a, **k: None)
    found = replayed_findings(tmp_path, GAMED)
    rule = {"run_heldout": "acceptance.failed", "start_probe": "coverage.changed_lines"}[step]
    assert rule not in found and len(found) > 1


def test_replay_calls_the_review_code_path():
    from workorder.loop import po_review, review_runs

    assert replay_module.observe_review is review_runs.observe_review is po_review.observe_review
