"""Shared fixtures: real git repositories in temp dirs, a scripted SE runner, GitHub faked with responses."""

from __future__ import annotations

import contextlib
import copy
import fcntl
import io
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import responses

from fakegithub import FakeGitHub
from workorder.cli import main as cli_main
from workorder.demo.run import build_demo_repo, git_env
from workorder.shell.pythonshim import write_python_shim

FIXTURES = Path(__file__).parent / "fixtures"
AGENT = Path(__file__).parent / "agents" / "scripted_agent.py"
TOKEN = "ghs_" + "A1b2C3d4E5f6G7h8I9j0" * 2  # shaped like a GitHub App installation token

WORK_ORDER = """---
objective: Add a subtract(a, b) function to calc.ops, with tests.
in_scope:
  - calc/**
  - tests/**
out_of_scope:
  - README.md
done_when:
  - subtract(5, 3) == 2
verify:
  - python -m unittest discover -s tests -t .
risk: medium
---
"""


GROUP_LOCKS = Path(tempfile.gettempdir()) / f"workorder-test-groups-{os.getuid()}"  # per user: no one else's files


@pytest.fixture(autouse=True)
def xdist_group_lock(request):
    """Tests marked ``xdist_group("name")`` share something on the host (a probe user, a cache being
    filled, an ``atd``): they never run at the same time, whichever worker or pytest session runs them.

    ``--dist loadgroup`` alone no longer gives that: pytest 9.2 reads a node id from ``Node._id``, and
    pytest-xdist 3.8 still appends the group to ``_nodeid``, so grouped tests were spread over workers
    (stop 24's CI). An exclusive ``flock`` on one file per group under ``GROUP_LOCKS`` also covers the
    two pytest sessions ``.ci/run`` runs side by side. Yields nothing."""
    names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                    for m in request.node.iter_markers("xdist_group")})
    if names:
        GROUP_LOCKS.mkdir(mode=0o700, exist_ok=True)
    with contextlib.ExitStack() as stack:
        for name in names:
            handle = stack.enter_context(open(GROUP_LOCKS / f"{name}.lock", "a"))
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def agent_command(scenario: str, *args: str) -> str:
    """The runner command line of the scripted agent for ``scenario``."""
    return " ".join(shlex.quote(p) for p in [sys.executable, str(AGENT), scenario, *args])


def load_payload(name: str) -> dict:
    """A copy of a stored GitHub example payload, e.g. ``issues/labeled.1``."""
    return copy.deepcopy(json.loads((FIXTURES / "webhooks" / f"{name}.json").read_text()))


def labeled_payload(body: str = WORK_ORDER, label: str = "wo:ready", sender: str = "Codertocat",
                    sender_type: str = "User") -> dict:
    """GitHub's example ``issues`` ``labeled`` payload, adapted: our label, body and default branch."""
    payload = load_payload("issues/labeled.1")
    payload["label"]["name"] = label
    payload["issue"]["body"] = body
    payload["issue"]["title"] = "Add subtract to calc"
    payload["repository"]["default_branch"] = "main"
    payload["sender"]["login"] = sender
    payload["sender"]["type"] = sender_type
    return payload


@pytest.fixture
def base_env() -> dict[str, str]:
    """A minimal environment for git and the runner, with `python` on PATH being this interpreter."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}


@pytest.fixture
def python_bin(tmp_path: Path) -> Path:
    """A folder whose `python` is this interpreter (the verify commands say `python`)."""
    return write_python_shim(tmp_path / "bin")


@pytest.fixture
def workspace(tmp_path: Path, base_env: dict[str, str], python_bin: Path) -> Path:
    """A fresh clone (like actions/checkout) of a bare origin holding the calc project on main."""
    env = git_env(base_env)
    build_demo_repo(tmp_path / "seed", sys.executable, env)
    ws = tmp_path / "workspace"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "seed" / "origin.git"), str(ws)], check=True, env=env)
    return ws


class ActionRun:
    """Runs `workorder handle` like the Action does, against a FakeGitHub."""

    def __init__(self, tmp_path: Path, workspace: Path, base_env: dict[str, str], python_bin: Path):
        self.tmp_path = tmp_path
        self.workspace = workspace
        self.env = {
            **git_env(base_env),
            "PATH": f"{python_bin}:{base_env['PATH']}",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "issues",
            "GITHUB_REPOSITORY": "Codertocat/Hello-World",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_RUN_ID": "4242",
            "WORKORDER_GITHUB_TOKEN": TOKEN,
            "GITHUB_TOKEN": TOKEN,
            "WORKORDER_STATE_DIR": str(tmp_path / "state"),
            "WORKORDER_NO_THROTTLE": "1",
            "WORKORDER_ISOLATION": "none",  # the agent-user boundary has its own tests (test_isolation.py)
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "WORKORDER_RUNNER_COMMAND": agent_command("pass"),
        }
        self.fake = FakeGitHub(permissions={"Codertocat": "admin"})
        self.fake.head_sha = self.remote_sha

    def remote_sha(self, branch: str) -> str:
        """The SHA of ``branch`` on the origin (what GitHub would report as the PR head)."""
        out = subprocess.run(["git", "ls-remote", "origin", f"refs/heads/{branch}"], cwd=self.workspace,
                             capture_output=True, text=True, env=self.env).stdout.split()
        return out[0] if out else "0" * 40

    def comment(self, body: str, author: str = "Codertocat", on_pr: int | None = None) -> dict:
        """Post a person's comment on issue #1 (or on PR ``on_pr``) in the fake; returns the
        ``issue_comment`` ``created`` payload GitHub would send (its own example, adapted)."""
        number = on_pr or 1
        cid = self.fake.add_comment(number, author, body)
        payload = load_payload("other/issue_comment.created")
        payload["comment"].update({"id": cid, "body": body, "user": {"login": author, "type": "User"}})
        payload["sender"] = {"login": author, "type": "User"}
        payload["repository"]["default_branch"] = "main"
        if on_pr:
            pr = self.fake.pulls[on_pr]
            payload["issue"].update({"number": on_pr, "body": pr["body"], "labels": [],
                                     "pull_request": {"url": f"https://api.github.com/repos/x/pulls/{on_pr}"}})
        else:
            issue = self.fake.issues[1]
            payload["issue"].update({"number": 1, "body": issue["body"], "title": issue["title"],
                                     "labels": [{"name": x} for x in issue["labels"]]})
            payload["issue"].pop("pull_request", None)
        return payload

    def say(self, body: str, author: str = "Codertocat", on_pr: int | None = None) -> tuple[int, dict]:
        """Post a comment and handle its event; returns (exit code, outcome JSON)."""
        code, out = self.handle(self.comment(body, author, on_pr), event="issue_comment")
        return code, json.loads(out[out.index("{"):])

    def replies(self) -> list[str]:
        """Bodies of the bot's command replies, oldest first."""
        return [c["body"] for c in sorted(self.fake.comments.values(), key=lambda c: c["id"])
                if c["user"] == self.fake.bot_login and "workorder:reply-to" in c["body"]]

    def tracking(self) -> str:
        """Body of the tracking comment on issue #1 (the bot's comment with the marker)."""
        [body] = [c["body"] for c in self.fake.issue_comments(1)
                  if c["user"] == self.fake.bot_login and "<!-- workorder:tracking -->" in c["body"]]
        return body

    @property
    def pr(self) -> int:
        [number] = self.fake.pulls
        return number

    def handle(self, payload: dict, *args: str, event: str = "issues") -> tuple[int, str]:
        path = self.tmp_path / "event.json"
        path.write_text(json.dumps(payload))
        env = {**self.env, "GITHUB_EVENT_PATH": str(path), "GITHUB_EVENT_NAME": event}
        out = io.StringIO()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            self.fake.install(rsps)
            code = cli_main(["handle", *args], environ=env, out=out)
        return code, out.getvalue()

    def commit_config(self, text: str) -> None:
        """Replace .github/workorder.yml on the default branch (origin/main) with ``text``."""
        ws = self.workspace
        (ws / ".github" / "workorder.yml").write_text(text)
        for args in (["commit", "-qam", "config"], ["push", "-q", "origin", "HEAD:main"], ["fetch", "-q", "origin"]):
            subprocess.run(["git", *args], cwd=ws, check=True, env=self.env)

    def outputs(self) -> dict[str, str]:
        path = self.tmp_path / "output.txt"
        lines = path.read_text().splitlines() if path.exists() else []
        return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def action(tmp_path: Path, workspace: Path, base_env: dict[str, str], python_bin: Path) -> ActionRun:
    """An Action run environment with a fake GitHub; issue #1 is the work order labelled wo:ready."""
    run = ActionRun(tmp_path, workspace, base_env, python_bin)
    run.fake.add_issue(1, "Add subtract to calc", WORK_ORDER, ["wo:ready"])
    return run


def install_fake_agent(bin_dir: Path, name: str, scenario: str, record: Path) -> None:
    """Put a fake ``name`` (codex, claude or aider) on ``bin_dir`` behaving as ``scenario``; every
    call appends {argv, env, stdin} to ``record``."""
    template = (Path(__file__).parent / "agents" / "fake_agent.py.tmpl").read_text()
    body = template.format(name=name, scenario=scenario, record=str(record))
    exe = bin_dir / name
    exe.write_text(f"#!{sys.executable}\n" + body)
    exe.chmod(0o755)


def agent_calls(record: Path) -> list[dict]:
    """The calls a fake agent recorded."""
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
