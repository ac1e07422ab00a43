"""The agent's own repository (workorder.shell.agent_repo): git works in the sandbox, nothing reaches the action.

Fast tests build the repository from a real work tree and use it as an agent would; a control shows a
hook written into it runs when git is used on it. Behind the boundary (root or sudo) the agent user
uses git in its phase, writes hooks and config into its repository, and the action's own git after
the phase runs none of them; through ``workorder handle`` a scripted agent undoes its out-of-scope
edit with git and passes its fix cycle.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import TOKEN
from fakegithub_server import FakeGitHubServer
from test_isolation import AGENTS, PRIVILEGE, REVIEWER_TOKEN, SYSTEM_PYTHON, Scene

from workorder.shell import agent_repo
from workorder.shell.isolation import AGENT_USER, sandbox_for
from workorder.shell.proc import run_shell

needs_boundary = pytest.mark.skipif(PRIVILEGE is None or SYSTEM_PYTHON is None,
                                    reason="needs root or passwordless sudo, and /usr/bin/python3 for the agent")
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True, check=check)


def source_and_tree(base: Path, tree: Path) -> tuple[Path, str]:
    """A repository with two commits on main and a work tree ``tree`` on wo/1 with one more; returns
    (the source repo, the base sha)."""
    src = base / "src"
    src.mkdir(parents=True)
    git(src, "init", "-q", "-b", "main")
    (src / "README.md").write_text("# calc\n")
    (src / "calc").mkdir()
    (src / "tests").mkdir()
    (src / "tests" / "__init__.py").write_text("")
    (src / "calc" / "ops.py").write_text("def add(a, b):\n    return a + b\n")
    git(src, "add", "-A")
    git(src, "commit", "-qm", "seed")
    base_sha = git(src, "rev-parse", "HEAD").stdout.strip()
    git(src, "worktree", "add", "-q", "-b", "wo/1", str(tree))
    (tree / "calc" / "ops.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n")
    git(tree, "commit", "-qam", "cycle 1")
    return src, base_sha


ACTION_USER = pwd.getpwuid(os.getuid()).pw_name


def runs_by(report: Path, user: str) -> dict[str, int]:
    """How often a hook, fsmonitor or alias ran as ``user``, by marker file in ``report``."""
    counts = {p.name: [line.split()[0] for line in p.read_text().splitlines()].count(user)
              for p in report.glob("pwned-*")}
    return {name: n for name, n in counts.items() if n}


def pwned_by(report: Path, user: str) -> set[str]:
    """The marker files in ``report`` that a hook, fsmonitor or alias run as ``user`` wrote to."""
    return set(runs_by(report, user))


def take_pointer(tree: Path) -> Path:
    """What the sandbox does: remove the .git file; returns the git dir it named."""
    pointer = (tree / ".git").read_text()
    (tree / ".git").unlink()
    found = agent_repo.git_dir_of(pointer)
    assert found is not None
    return found


def test_the_agents_repository_has_the_branch_history_and_no_remote(tmp_path):
    tree = tmp_path / "wt"
    _, base_sha = source_and_tree(tmp_path, tree)
    agent_repo.build(tree, take_pointer(tree), base_sha)
    assert git(tree, "status", "--porcelain").stdout == ""
    assert git(tree, "log", "--format=%s").stdout.split("\n")[:2] == ["cycle 1", "seed"]
    assert git(tree, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip() == "wo/1"
    assert git(tree, "rev-parse", agent_repo.BASE_REF).stdout.strip() == base_sha
    assert git(tree, "remote").stdout == ""
    assert "sub" in git(tree, "diff", agent_repo.BASE_REF).stdout
    assert "cycle 1" not in git(tree, "blame", "calc/ops.py").stdout.splitlines()[0]
    (tree / "README.md").write_text("oops\n")
    assert git(tree, "diff", "--stat").stdout.strip().startswith("README.md")
    git(tree, "checkout", "--", "README.md")
    assert (tree / "README.md").read_text() == "# calc\n"
    ops = tree / "calc" / "ops.py"
    ops.write_text("x\n")
    git(tree, "stash")
    assert "sub" in ops.read_text()
    git(tree, "stash", "pop")
    assert ops.read_text() == "x\n"
    (tree / ".aider.tags.cache.v4").mkdir()
    (tree / ".aider.chat.history.md").write_text("chat")
    assert git(tree, "status", "--porcelain").stdout == " M calc/ops.py\n", "aider's own files are excluded"
    assert not (tree / ".git" / "hooks").exists(), "no hooks, not even git's samples"
    config = (tree / ".git" / "config").read_text()
    assert "remote" not in config and "extraheader" not in config and "credential" not in config


def test_control_a_hook_written_into_the_agents_repository_runs_when_git_is_used_on_it(tmp_path):
    """The control for the phase test below: what the hostile agent writes would run as whoever used
    that repository; so the action must never run git on it."""
    tree = tmp_path / "wt"
    _, base_sha = source_and_tree(tmp_path, tree)
    agent_repo.build(tree, take_pointer(tree), base_sha)
    report = tmp_path / "report"
    report.mkdir()
    subprocess.run([sys.executable, str(AGENTS / "git_agent.py"), str(report), "hostile"], cwd=tree, check=True,
                   env={**ENV, "WORKORDER_RESULT_FILE": str(tmp_path / "dod.json"), "WORKORDER_CYCLE": "2"})
    before = runs_by(report, ACTION_USER)
    git(tree, "commit", "-qam", "as the action would", check=False)
    after = runs_by(report, ACTION_USER)
    assert {name for name in after if after[name] > before.get(name, 0)} >= {"pwned-hook", "pwned-fsmonitor"}


def test_a_broken_source_builds_nothing(tmp_path):
    tree = tmp_path / "wt"
    tree.mkdir()
    assert agent_repo.build_for_phase(tree, "gitdir: /nonexistent/.git/worktrees/1\n", {}) is not None
    assert agent_repo.build_for_phase(tree, None, {}) is not None
    assert not (tree / ".git").exists()


# -- behind the boundary ---------------------------------------------------------------------------
@pytest.fixture
def sandbox():
    box = sandbox_for("user", True, privilege=PRIVILEGE)
    yield box
    box.close()


@pytest.fixture
def open_dir():
    """A temp folder the agent user may traverse (pytest's tmp_path is 0700)."""
    base = Path(tempfile.mkdtemp(prefix="workorder-git-agent-"))
    base.chmod(0o755)
    yield base
    subprocess.run(["rm", "-rf", str(base)], check=False)


@needs_boundary
def test_hooks_and_config_the_agent_writes_never_run_in_the_actions_git(sandbox, open_dir):
    tmp_path = open_dir
    base = Path(sandbox.root) / "src-parent"
    tree = sandbox.worktrees / "1"
    _, base_sha = source_and_tree(base, tree)
    pointer = (tree / ".git").read_text()
    report = tmp_path / "report"
    report.mkdir()
    report.chmod(0o777)
    agent = tmp_path / "agent"
    agent.mkdir()
    agent.chmod(0o755)
    shutil.copy(AGENTS / "git_agent.py", agent)
    exchange = tmp_path / "phase"
    exchange.mkdir()
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "WORKORDER_RESULT_FILE": str(exchange / "dod.json"),
           "WORKORDER_CYCLE": "2", "WORKORDER_BASE_SHA": base_sha}
    result = run_shell(f"{SYSTEM_PYTHON} {agent}/git_agent.py {report} hostile", tree, env, 60,
                       exchange / "output.log", sandbox=sandbox, exchange=exchange, workshop=True)
    assert result.exit_code == 0, result.output_tail
    ran = {" ".join(r["args"]): r for r in json.loads((report / "git-2.json").read_text())}
    assert "cycle 1" in ran["log --oneline"]["out"] and "ops.py" in ran["diff --stat workorder-base"]["out"]
    assert pwned_by(report, AGENT_USER) >= {"pwned-hook", "pwned-fsmonitor"}, "the agent's own git ran them"
    assert (tree / ".git").read_text() == pointer, "the trusted pointer is back"
    for args in (["status"], ["add", "-A"], ["commit", "-qm", "the action's commit"], ["checkout", "-q", "HEAD~1"]):
        git(tree, *args)
    assert pwned_by(report, ACTION_USER) == set(), "no hook, fsmonitor or alias ran as the action"
    assert "agent's own commit" not in git(tree, "log", "--format=%s", "--all").stdout


@needs_boundary
def test_an_agent_undoes_its_out_of_scope_edit_with_git_and_passes_its_fix_cycle(open_dir):
    base = open_dir
    scene = Scene(base)
    shutil.copy(AGENTS / "git_agent.py", scene.agent / "git_agent.py")
    (scene.ws / ".github" / "workorder.yml").write_text("runner:\n  timeout: 120\nmax_cycles: 2\n")
    for args in (["commit", "-qam", "config"], ["push", "-q", "origin", "HEAD:main"], ["fetch", "-q", "origin"]):
        scene._git(*args, cwd=scene.ws)
    with FakeGitHubServer(scene.fake, (TOKEN, REVIEWER_TOKEN)) as server:
        proc = scene.handle(server, WORKORDER_RUNNER_COMMAND=f"python3 {scene.agent}/git_agent.py {scene.loot}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "wo:passed" in scene.fake.issues[1]["labels"], proc.stdout[-3000:]
    ran = json.loads((scene.loot / "git-2.json").read_text())
    assert all(r["exit_code"] == 0 for r in ran), ran
    diffs = [r["out"] for r in ran if r["args"] == ["diff", "--stat", "workorder-base"]]
    assert "README.md" in diffs[0] and "README.md" not in diffs[-1], "README.md restored from the base with git"
    assert len([r for r in ran if r["args"] == ["log", "--oneline"]][0]["out"].splitlines()) >= 2
    heads = scene._git("ls-remote", str(scene.origin), "refs/heads/wo/*", cwd=base).split()
    log = scene._git("log", "--format=%s", heads[0], cwd=scene.ws) if scene._git(
        "fetch", "-q", "origin", cwd=scene.ws) is not None else ""
    assert "agent's own commit" not in log, "the agent's commits are never pushed"
    changed = scene._git("diff", "--name-only", "origin/main", heads[0], cwd=scene.ws).split()
    assert "README.md" not in changed and "calc/ops.py" in changed


def test_a_detached_head_gets_a_branch_of_its_own(tmp_path):
    tree = tmp_path / "wt"
    source_and_tree(tmp_path, tree)
    git(tree, "checkout", "-q", "--detach", "HEAD")
    agent_repo.build(tree, take_pointer(tree))
    assert git(tree, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip() == "work"
    assert git(tree, "log", "--format=%s").stdout.split("\n")[0] == "cycle 1"
