"""Held-out acceptance tests never reach the agent through its own repository (issues 18 and 19 together):
the action hides them from the work tree (skip-worktree), and the agent's repository then holds the base and
the branch head as snapshots without them, so no `git show`/`log`/`cat-file` of any reachable object shows them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workorder.shell import agent_repo

SECRET = "assert solve(1234) == 99  # held-out input"
IDENT = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose base commit holds a held-out test, and a linked work tree with one more commit."""
    repo = tmp_path / "repo"
    (repo / "acceptance").mkdir(parents=True)
    (repo / "acceptance" / "test_hidden.py").write_text(SECRET + "\n")
    (repo / "solve.py").write_text("def solve(x):\n    return 0\n")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    work = tmp_path / "work"
    git(repo, "worktree", "add", "-q", "-b", "wo/1-x", str(work))
    (work / "solve.py").write_text("def solve(x):\n    return 99\n")
    git(work, "commit", "-qam", "cycle 1")
    return work, repo


def build(work: Path, base: str) -> Path:
    pointer = (work / ".git").read_text()
    (work / ".git").unlink()  # what the sandbox does before the phase
    source = agent_repo.git_dir_of(pointer)
    return agent_repo.build(work, source, base)


def reachable_text(target: Path) -> str:
    """Every blob reachable from any ref of the agent's repository, concatenated."""
    objects = subprocess.run(["git", "--git-dir", str(target), "rev-list", "--all", "--objects"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
    out = []
    for line in filter(None, objects):
        sha = line.split()[0]
        if subprocess.run(["git", "--git-dir", str(target), "cat-file", "-t", sha], capture_output=True,
                          text=True).stdout.strip() == "blob":
            out.append(subprocess.run(["git", "--git-dir", str(target), "cat-file", "-p", sha], capture_output=True,
                                      text=True).stdout)
    return "\n".join(out)


def test_hidden_held_out_files_are_in_no_object_the_agent_can_reach(tree):
    work, repo = tree
    base = git(repo, "rev-parse", "main").strip()
    git(work, "update-index", "--skip-worktree", "acceptance/test_hidden.py")  # what heldout_run.hide does
    (work / "acceptance" / "test_hidden.py").unlink()
    target = build(work, base)
    assert SECRET not in reachable_text(target)
    shown = subprocess.run(["git", "show", f"{agent_repo.BASE_REF}:acceptance/test_hidden.py"], cwd=work,
                           capture_output=True, text=True)
    assert shown.returncode != 0
    # the workshop still works: the agent's diff against the base is its own change, and status is clean
    diff = subprocess.run(["git", "diff", agent_repo.BASE_REF, "--", "solve.py"], cwd=work, capture_output=True,
                          text=True, check=True).stdout
    assert "+    return 99" in diff
    status = subprocess.run(["git", "status", "--porcelain"], cwd=work, capture_output=True, text=True,
                            check=True).stdout
    assert status == ""


def test_control_without_hiding_the_agent_reads_the_held_out_test_through_git(tree):
    """The attack: with the branch's history pushed as it is, `git show` of the base gives the test away."""
    work, repo = tree
    base = git(repo, "rev-parse", "main").strip()
    build(work, base)
    shown = subprocess.run(["git", "show", f"{agent_repo.BASE_REF}:acceptance/test_hidden.py"], cwd=work,
                           capture_output=True, text=True)
    assert SECRET in shown.stdout
