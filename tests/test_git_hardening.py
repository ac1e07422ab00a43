"""Nothing the agent shaped runs as the action: the action's git on a work tree the agent had.

Three defences, each with its control (the attack succeeding with that defence turned off):
- the action's git runs with a minimal environment and hooks/fsmonitor off (workorder.shell.gitenv): a hook
  and an fsmonitor command in the repository's own ``.git`` never run, and nothing git starts sees the token;
- any ``.git`` the agent made in the tree is removed and the action's pointer written back
  (isolation._restore_pointer): a clean filter in the agent's own ``.git/config`` never runs;
- the tree is handed back owned by the action with no group/other write and no setuid/setgid
  (workorder.shell.handback): an agent job that outlived the phase cannot write into it.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from workorder.shell import handback, isolation
from workorder.demo.run import git_env
from workorder.shell.gitops import Git
from workorder.shell.isolation import detect_privilege, sandbox_for
from workorder.shell.proc import run_shell

TOKEN = "ghs_" + "H" * 36
PRIVILEGE = detect_privilege()
needs_privilege = pytest.mark.skipif(PRIVILEGE is None, reason="the agent user needs root or passwordless sudo (sudo -n)")


@pytest.fixture
def env(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return {**git_env({"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}), "GITHUB_TOKEN": TOKEN}


def booby_trapped_repo(path: Path, marker: Path, env: dict[str, str]) -> None:
    """A repository whose ``.git`` runs code: a post-commit and a reference-transaction hook and an
    fsmonitor command, each appending its environment to ``marker``."""
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True, env=env)
    (path / "a.txt").write_text("a\n")
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "seed"], cwd=path, check=True, env=env)
    script = f"#!/bin/sh\nenv >> {marker}\n"
    for hook in ("post-commit", "reference-transaction", "prepare-commit-msg"):
        (path / ".git" / "hooks" / hook).write_text(script)
        (path / ".git" / "hooks" / hook).chmod(0o755)
    (path / "fsmonitor.sh").write_text(script)
    (path / "fsmonitor.sh").chmod(0o755)
    subprocess.run(["git", "config", "core.fsmonitor", str(path / "fsmonitor.sh")], cwd=path, check=True, env=env)
    (path / "b.txt").write_text("b\n")


def test_the_actions_git_runs_no_hook_and_no_fsmonitor_and_shows_no_token(tmp_path, env):
    marker = tmp_path / "marker"
    booby_trapped_repo(tmp_path / "repo", marker, env)
    git = Git(repo=tmp_path / "repo", env=env)
    assert git.has_changes()
    assert git.commit_all("change", "bot", "bot@example.invalid")
    git.discard_changes()
    assert not marker.exists(), "no hook and no fsmonitor ran"


def test_control_the_old_git_call_runs_the_hooks_with_the_token(tmp_path, env):
    """The same commands as the action ran them before: the whole environment, no overrides."""
    marker = tmp_path / "marker"
    booby_trapped_repo(tmp_path / "repo", marker, env)
    for args in (["status", "--porcelain"], ["add", "-A"], ["-c", "user.name=bot", "-c", "user.email=b@x",
                                                            "commit", "--no-verify", "-q", "-m", "change"]):
        subprocess.run(["git", "-c", "core.quotepath=false", *args], cwd=tmp_path / "repo", env=env, check=True,
                       capture_output=True)
    assert f"GITHUB_TOKEN={TOKEN}" in marker.read_text(), "hooks ran, holding the action's token"


def external_diff_repo(tmp_path: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """A repository whose config runs a program git starts for ``git diff`` (``diff.external``)."""
    marker = tmp_path / "seen-env"
    booby_trapped_repo(tmp_path / "repo", tmp_path / "unused", env)
    (tmp_path / "dump.sh").write_text(f"#!/bin/sh\nenv >> {marker}\n")
    (tmp_path / "dump.sh").chmod(0o755)
    subprocess.run(["git", "config", "diff.external", str(tmp_path / "dump.sh")], cwd=tmp_path / "repo", check=True,
                   env=env)
    (tmp_path / "repo" / "a.txt").write_text("changed\n")
    return tmp_path / "repo", marker


def test_a_program_the_actions_git_starts_sees_no_token(tmp_path, env):
    repo, marker = external_diff_repo(tmp_path, env)
    Git(repo=repo, env=env).run("diff")
    seen = marker.read_text()
    assert "GIT_DIFF_PATH" in seen and TOKEN not in seen, "git's children get the minimal environment"


def test_control_with_the_whole_environment_git_hands_the_token_on(tmp_path, env):
    repo, marker = external_diff_repo(tmp_path, env)
    subprocess.run(["git", "diff"], cwd=repo, env=env, check=True, capture_output=True)
    assert f"GITHUB_TOKEN={TOKEN}" in marker.read_text()


# -- through a phase: the agent's own .git, and modes ---------------------------------------------
AGENT_FILTER = ("git init -q . && git config filter.x.clean 'sh -c \"env >> {marker}; cat\"' && "
                "echo '* filter=x' > .gitattributes && echo change > a.txt; exit 0")
AGENT_GIT = ("git init -q . && git config filter.x.clean 'sh -c \"env >> {marker}; cat\"' && "
             "echo '* filter=x' > .gitattributes && mkdir -p sub && (cd sub && git init -q . && "
             "printf '#!/bin/sh\\nenv >> {marker}\\n' > .git/hooks/post-commit && chmod 755 .git/hooks/post-commit); "
             "echo change > a.txt; exit 0")


@pytest.fixture
def phase_tree(tmp_path, env):
    """A sandbox and a real work tree of a repository in it (the action's ``.git`` pointer)."""
    box = sandbox_for("user", True, privilege=PRIVILEGE)
    repo = tmp_path / "repo"
    repo.mkdir()
    main = Git(repo=repo, env=env)
    main.run("init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a\n")
    main.commit_all("seed", "bot", "bot@example.invalid")
    wt = main.add_worktree(box.worktrees / "1", "wo/1", "main")
    marker = Path(box.root) / "marker"  # where the agent user may not write: only the action's git could
    yield box, wt, marker
    box.close()


def agent_phase(box, wt, marker, tmp_path, script: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    result = run_shell(script.format(marker=marker), wt.repo, env, 60, tmp_path / "agent.log", sandbox=box)
    assert result.exit_code == 0, (tmp_path / "agent.log").read_text()


@needs_privilege
def test_a_git_dir_the_agent_made_never_reaches_the_actions_git(phase_tree, tmp_path):
    box, wt, marker = phase_tree
    agent_phase(box, wt, marker, tmp_path, AGENT_GIT)
    assert (wt.repo / ".git").is_file() and not (wt.repo / "sub" / ".git").exists()
    sha = wt.commit_all("the agent's work", "bot", "bot@example.invalid")
    assert sha and wt.run("log", "-1", "--format=%s").strip() == "the agent's work"
    assert not marker.exists(), "the agent's clean filter and hook never ran as the action"


@needs_privilege
def test_control_without_removing_it_the_agents_git_dir_runs_its_filter_as_the_action(phase_tree, tmp_path,
                                                                                        monkeypatch):
    """The clean filter is no hook: only never reading the agent's ``.git`` stops it, not ``-c`` overrides."""
    box, wt, marker = phase_tree
    monkeypatch.setattr(isolation, "_restore_pointer", lambda tree, pointer: None)
    agent_phase(box, wt, marker, tmp_path, AGENT_FILTER)
    wt.commit_all("the agent's work", "bot", "bot@example.invalid")
    assert marker.exists(), "the agent's filter ran as the action's user (the agent cannot write there)"
    assert os.stat(marker).st_uid == os.getuid()


HOSTILE_MODES = ("chmod -R 0777 . && mkdir -p drop && chmod 2777 drop && printf '#!/bin/sh\\nid\\n' > suid.sh && "
                 "chmod 6755 suid.sh && chmod 0777 .")


def modes_after(box, wt, marker, tmp_path) -> dict[str, int]:
    agent_phase(box, wt, marker, tmp_path, HOSTILE_MODES)
    return {str(p.relative_to(wt.repo)): p.lstat().st_mode for p in [wt.repo, *wt.repo.rglob("*")]
            if ".git" not in p.parts}


@needs_privilege
def test_the_tree_is_handed_back_with_no_write_for_others_and_no_setuid(phase_tree, tmp_path):
    box, wt, marker = phase_tree
    modes = modes_after(box, wt, marker, tmp_path)
    assert {name for name, m in modes.items() if m & (stat.S_IWGRP | stat.S_IWOTH | stat.S_ISUID | stat.S_ISGID)} == set()
    assert stat.S_IMODE(modes["."]) == 0o700, "the tree is closed to every other user between phases"
    assert {p.lstat().st_uid for p in [wt.repo, *wt.repo.rglob("*")]} == {os.getuid()}


@needs_privilege
def test_control_chown_alone_leaves_the_agents_modes(phase_tree, tmp_path, monkeypatch):
    box, wt, marker = phase_tree
    monkeypatch.setattr(handback, "handback_argv", lambda path, uid, gid: [
        "find", str(path), "-xdev", "(", "-type", "f", "-links", "+1", ")", "-o", "-exec", "chown", "-h",
        f"{uid}:{gid}", "{}", "+"])  # what the sandbox did before
    monkeypatch.setattr(handback, "close_argv", lambda path: ["true"])
    modes = modes_after(box, wt, marker, tmp_path)
    assert stat.S_IMODE(modes["."]) == 0o777 and modes["drop"] & stat.S_ISGID, "the agent's modes stay"


def test_only_a_push_without_a_token_reads_the_persons_own_credential_config():
    from workorder.shell.gitenv import git_argv, git_environment

    env = {"HOME": "/home/me", "GITHUB_TOKEN": TOKEN, "SSH_AUTH_SOCK": "/run/agent.sock", "PATH": "/usr/bin"}
    hardened, ambient = git_environment(env), git_environment(env, user_credentials=True)
    assert hardened["GIT_CONFIG_GLOBAL"] == "/dev/null" and "credential.helper=" in git_argv("push")
    assert "GIT_CONFIG_GLOBAL" not in ambient and "credential.helper=" not in git_argv("push", user_credentials=True)
    assert "core.hooksPath=/dev/null" in git_argv("push", user_credentials=True)  # hooks stay off
    assert TOKEN not in {*hardened.values(), *ambient.values()} and ambient["SSH_AUTH_SOCK"] == "/run/agent.sock"
