"""`workorder run --push` holds a GitHub credential, so its SE runner works behind the boundary too;
without --push/--open-prs a local run needs none (the Quickstart works for a user without sudo)."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from workorder.shell.agent_pool import is_agent_user
from workorder.cli import main
from workorder.demo.run import git_env
from workorder.shell.isolation import detect_privilege

AGENT = """#!/bin/sh
mkdir -p notes
id -un > notes/who.txt
cat > "$WORKORDER_RESULT_FILE" <<'JSON'
{"status": "done", "summary": "wrote who ran me", "files_changed": ["notes/who.txt"],
 "commands_run": [], "tests_run": [],
 "evidence": [{"criterion": "1", "kind": "path", "ref": "notes/who.txt:1"},
              {"criterion": "1", "kind": "command", "ref": "test -s notes/who.txt"}]}
JSON
"""
ISSUE = """---
id: 1
title: Say who runs the agent
milestone: M1
objective: Write the agent's user name to notes/who.txt.
in_scope: [notes/** (new)]
done_when: [notes/who.txt holds the agent's user name]
verify: [test -s notes/who.txt]
risk: low
---
"""


def local_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    files = {".github/workorder.yml": "runner:\n  command: sh agent.sh\n", "agent.sh": AGENT,
             "docs/projects/p/issues/1-who.md": ISSUE, "README.md": "# who\n"}
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "seed"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "origin.git")], check=True, env=env)
    subprocess.run(["git", "remote", "add", "origin", str(tmp_path / "origin.git")], cwd=repo, check=True, env=env)
    return repo


def who_on_origin(repo: Path, env: dict[str, str]) -> str:
    return subprocess.run(["git", "show", "refs/remotes/origin/wo/1-say-who-runs-the-agent:notes/who.txt"],
                          cwd=repo, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def env(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return git_env({"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"})


@pytest.mark.skipif(detect_privilege() is None, reason="needs root or passwordless sudo for the agent user")
def test_run_with_push_runs_the_agent_as_the_agent_user(tmp_path, env):
    repo = local_repo(tmp_path, env)
    git_mode = (repo / ".git").stat().st_mode
    code = main(["run", "--milestone", "M1", "--repo", str(repo), "--push"], environ=env, out=io.StringIO())
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=repo, check=True, env=env)
    assert code == 0 and is_agent_user(who_on_origin(repo, env))
    assert (repo / ".git").stat().st_mode & 0o077 == git_mode & 0o077, "the git dir's mode is given back"


def test_run_without_push_needs_no_boundary(tmp_path, env):
    repo = local_repo(tmp_path, env)
    code = main(["run", "--milestone", "M1", "--repo", str(repo)], environ=env, out=io.StringIO())
    subprocess.run(["git", "push", "-q", "origin", "wo/1-say-who-runs-the-agent"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=repo, check=True, env=env)
    assert code == 0 and who_on_origin(repo, env) == subprocess.run(["id", "-un"], capture_output=True,
                                                                     text=True).stdout.strip()
