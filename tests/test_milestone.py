"""Milestones locally: discovery, DAG order, the run over issue files, resume, worktrees."""

from __future__ import annotations

import io
import json
import subprocess

import pytest

from workorder.cli import main
from workorder.demo.run import build_milestone_repo, git_env
from workorder.local.run import _cleanup_worktree, run_milestone
from workorder.shell.gitops import Git
from workorder.contracts.milestone import discover, order_dag
from workorder.inputs.problems import InvalidInput
from workorder.loop.state import State


# -- ordering -------------------------------------------------------------------------------------
def test_chain():
    assert order_dag([3, 1, 2], [(1, 2), (2, 3)]).order == [1, 2, 3]
    assert order_dag([1, 2, 3], [(3, 2), (2, 1)]).order == [3, 2, 1]


def test_diamond_is_stable_by_id():
    ordering = order_dag([1, 2, 3, 4], [(1, 3), (1, 2), (2, 4), (3, 4)])
    assert ordering.order == [1, 2, 3, 4] and ordering.blockers_of(4) == [2, 3] and not ordering.ignored


def test_cycle_falls_back_to_id_order_and_names_the_edges():
    ordering = order_dag([1, 2, 3, 4], [(2, 3), (3, 2), (1, 4)])
    assert ordering.linear_fallback and ordering.order == [1, 2, 3, 4]
    assert {(e.blocker, e.dependent, e.reason) for e in ordering.ignored} == {(2, 3, "cycle"), (3, 2, "cycle")}
    assert ordering.edges == [(1, 4)]


def test_dangling_reference_is_ignored_with_its_reason():
    ordering = order_dag([1, 2], [(7, 2), (1, 2)])
    assert ordering.order == [1, 2] and [(e.blocker, e.reason) for e in ordering.ignored] == [(7, "unknown_id")]


# -- the example milestone ------------------------------------------------------------------------
@pytest.fixture
def milestone(tmp_path, base_env, python_bin):
    env = git_env(base_env)
    env["PATH"] = f"{python_bin}:{env['PATH']}"
    repo = build_milestone_repo(tmp_path, env)
    return repo, env


def run(repo, env, *args):
    out = io.StringIO()
    code = main(["run", "--milestone", "M1", "--repo", str(repo), *args], environ=env, out=out)
    return code, out.getvalue()


def audit(repo):
    return [json.loads(l) for l in (repo / ".workorder" / "runs" / "audit.jsonl").read_text().splitlines()]


def test_example_milestone_completes_in_dependency_order_with_a_summary(milestone):
    repo, env = milestone
    code, out = run(repo, env)
    assert code == 0, out
    assert "Milestone M1: 3 of 3 work orders passed." in out
    rows = [line.split()[0] for line in out.splitlines() if line.startswith("#")]
    assert rows == ["#1", "#2", "#3"]
    assert "wo/3-evaluate-simple-expressions" in out
    # Stacked: issue 3 starts where issue 2 ended, so it sees subtract and multiply.
    log = subprocess.run(["git", "log", "--format=%s", "wo/3-evaluate-simple-expressions"], cwd=repo,
                         capture_output=True, text=True, env=env).stdout
    assert log.index("cycle 1 (dev)") < log.index("calc with milestone M1")
    assert not (repo / ".workorder" / "worktrees" / "1").exists(), "a completed issue's worktree is removed"
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout == ""


def test_json_output(milestone):
    repo, env = milestone
    code, out = run(repo, env, "--json")
    data = json.loads(out)
    assert data["ok"] is True and data["ordering"]["order"] == [1, 2, 3] and data["ordering"]["edges"] == [[1, 3]]
    assert [i["state"] for i in data["issues"]] == ["passed", "passed", "passed"]


def test_dirty_repo_is_refused_before_anything_runs(milestone, capsys):
    repo, env = milestone
    (repo / "calc" / "ops.py").write_text("changed\n")
    code, out = run(repo, env)
    assert code == 1 and "uncommitted changes" in capsys.readouterr().err
    assert not (repo / ".workorder" / "runs").exists()


def test_bad_front_matter_fails_fast_listing_every_problem(milestone, capsys):
    repo, env = milestone
    issues = repo / "docs" / "projects" / "calc" / "issues"
    (issues / "4-bad.md").write_text("---\nid: zero\nmilestone: M1\nobjective: ''\nin_scope: []\n---\n")
    (issues / "5-worse.md").write_text("no front matter\n")
    (issues / "6-dup.md").write_text((issues / "2-multiply.md").read_text())
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "bad"], cwd=repo, check=True, env=env)
    code, out = run(repo, env)
    err = capsys.readouterr().err
    assert code == 1
    for text in ("4-bad.md: id: must be a whole number", "4-bad.md: title: is required but missing",
                 "4-bad.md: objective: must not be empty", "4-bad.md: in_scope: must not be empty",
                 "4-bad.md: done_when: is required but missing", "5-worse.md: front matter: is missing",
                 "6-dup.md: id: 2 is also the id of"):
        assert text in err, text
    assert not (repo / ".workorder" / "runs").exists()


def test_resume_after_a_crash_between_issues_does_no_issue_twice(milestone):
    repo, env = milestone

    def crash_after_first(done, total, row):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_milestone(repo, "M1", env, progress=crash_after_first)
    result = run_milestone(repo, "M1", env)
    assert [(r.id, r.state, r.skipped) for r in result.results] == [
        (1, "passed", "already_passed"), (2, "passed", None), (3, "passed", None)]
    starts = [e["issue"] for e in audit(repo) if e["event"] == "runner.start"]
    assert sorted(starts) == [1, 2, 3], "each issue ran its SE runner once"
    rerun = run_milestone(repo, "M1", env, rerun=True)
    assert all(r.skipped is None for r in rerun.results)


def test_a_blocked_issue_blocks_its_dependents(milestone, tmp_path):
    repo, env = milestone
    script = tmp_path / "agent.sh"
    script.write_text('if [ "$WORKORDER_ISSUE" = 1 ]; then echo broken; exit 3; fi\nexec python -m workorder.demo.milestone_agent\n')
    result = run_milestone(repo, "M1", env, runner_command=f"sh {script}")
    assert [(r.id, r.state) for r in result.results] == [(1, "blocked"), (2, "passed"), (3, "skipped")]
    assert result.results[2].verdict == "1" and not result.ok
    code, out = run(repo, env, "--runner-command", f"sh {script}")
    assert "skipped: waiting for #1" in out


def test_worktree_with_uncommitted_work_is_kept(milestone):
    repo, env = milestone
    git = Git(repo=repo, env=env)
    path = repo / ".workorder" / "worktrees" / "9"
    git.add_worktree(path, "wo/9-x", "HEAD")
    (path / "scratch.txt").write_text("unsaved\n")
    assert _cleanup_worktree(git, path, State.BLOCKED) is True and path.exists()
    (path / "scratch.txt").unlink()
    assert _cleanup_worktree(git, path, State.BLOCKED) is False and not path.exists()


def test_worktree_is_reused_across_the_phases_of_an_issue(milestone, tmp_path):
    repo, env = milestone
    # Issue 1 fails once (no test file changed is fine; a TODO is MAJOR), then passes: two cycles, one worktree.
    script = tmp_path / "agent.sh"
    script.write_text('python -m workorder.demo.milestone_agent || exit $?\n'
                      'if [ "$WORKORDER_ISSUE" = 1 ] && [ "$WORKORDER_PHASE" = dev ]; then echo "# TODO" >> calc/ops.py; fi\n')
    run_milestone(repo, "M1", env, runner_command=f"sh {script}")
    events = [e for e in audit(repo) if e["issue"] == 1]
    assert [e["event"] for e in events].count("worktree") == 1
    assert [e["phase"] for e in events if e["event"] == "runner.start"] == ["dev", "fix"]


def test_push_sends_the_passed_branches_to_origin(milestone, tmp_path):
    repo, env = milestone
    env = {**env, "WORKORDER_ISOLATION": "none"}  # this interpreter lives where another user cannot run it
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "origin.git")], check=True, env=env)
    subprocess.run(["git", "remote", "add", "origin", str(tmp_path / "origin.git")], cwd=repo, check=True, env=env)
    code, out = run(repo, env, "--push")
    heads = subprocess.run(["git", "ls-remote", "--heads", "origin"], cwd=repo, capture_output=True, text=True).stdout
    assert code == 0 and heads.count("refs/heads/wo/") == 3


def test_open_prs_needs_a_token(milestone, capsys):
    repo, env = milestone
    code, out = run(repo, env, "--open-prs")
    assert code == 2 and "--open-prs needs GITHUB_TOKEN" in capsys.readouterr().err


def test_open_prs_opens_draft_prs_once(milestone, tmp_path):
    import responses

    from fakegithub import FakeGitHub

    repo, env = milestone
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "origin.git")], check=True, env=env)
    subprocess.run(["git", "remote", "add", "origin", str(tmp_path / "origin.git")], cwd=repo, check=True, env=env)
    fake = FakeGitHub(repo="o/calc")
    env = {**env, "GITHUB_TOKEN": "ghs_" + "x" * 36, "WORKORDER_NO_THROTTLE": "1", "WORKORDER_ISOLATION": "none"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        assert run(repo, env, "--open-prs", "--github-repo", "o/calc")[0] == 0
        assert run(repo, env, "--open-prs", "--github-repo", "o/calc")[0] == 0
    assert sorted(pr["head"] for pr in fake.pulls.values()) == [
        "wo/1-add-subtract", "wo/2-add-multiply", "wo/3-evaluate-simple-expressions"]
    assert all(pr["draft"] for pr in fake.pulls.values())


def test_discover_lists_problems_by_file_and_field(tmp_path):
    folder = tmp_path / "docs" / "projects" / "p" / "issues"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("---\nid: 1\ntitle: A\nmilestone: M\nobjective: x\nin_scope: [a]\ndone_when: [b]\ncolour: red\n---\n")
    with pytest.raises(InvalidInput) as info:
        discover(tmp_path)
    assert [(p.field, p.message) for p in info.value.problems] == [("docs/projects/p/issues/a.md: colour", "is not a known key")]


def test_demo_milestone_command(tmp_path):
    out = io.StringIO()
    assert main(["demo", "--milestone", "--dir", str(tmp_path / "d")], environ={"PATH": __import__("os").environ["PATH"],
                                                                              "HOME": str(tmp_path)}, out=out) == 0
    assert "3 of 3 work orders passed" in out.getvalue()


def test_the_milestone_agent_never_hands_back_compiled_files(tmp_path, monkeypatch):
    """An installed (not editable) workorder has __pycache__ beside the prepared solutions."""
    import shutil

    from workorder.demo import milestone_agent

    solutions = tmp_path / "solutions"
    shutil.copytree(milestone_agent.SOLUTIONS / "1", solutions / "1")
    (solutions / "1" / "calc" / "__pycache__").mkdir()
    (solutions / "1" / "calc" / "__pycache__" / "ops.cpython-311.pyc").write_bytes(b"\0")
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "prompt.md").write_text("## DONE-WHEN\n- [ ] subtract works\n")
    monkeypatch.setattr(milestone_agent, "SOLUTIONS", solutions)
    monkeypatch.chdir(work)
    monkeypatch.setenv("WORKORDER_ISSUE", "1")
    monkeypatch.setenv("WORKORDER_PROMPT_FILE", str(tmp_path / "prompt.md"))
    monkeypatch.setenv("WORKORDER_RESULT_FILE", str(tmp_path / "dod.json"))
    assert milestone_agent.main() == 0
    packet = json.loads((tmp_path / "dod.json").read_text())
    assert packet["files_changed"] == ["calc/ops.py", "tests/test_subtract.py"]
    assert not (work / "calc" / "__pycache__").exists()
