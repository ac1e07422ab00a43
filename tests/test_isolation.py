"""The credential boundary (workorder.shell.isolation): untrusted commands run as the user workorder-agent.

The hostile-runner tests run ``workorder handle`` as a subprocess whose real environment holds the
action's token and the reviewer's, against the fake GitHub over real HTTP, with the files a GitHub
runner has (the action's HOME with git credentials, ``$RUNNER_TEMP`` with the event file and a sibling
holding the token, the workspace's ``.git/config`` with the extraheader actions/checkout persists), all
readable by other users as on a runner. A hostile SE runner, a hostile test module imported by the
action's own verify command and a hostile LLM reviewer hunt every vector (tests/agents/hostile_hunt.py).
Behind the boundary they find nothing and write nothing, and the honest change still PASSes; without
it (``isolation: none``) the same hunters find the token and write to the fake GitHub, which shows the
test can fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import TOKEN, WORK_ORDER, agent_command, labeled_payload
from fakegithub import FakeGitHub
from fakegithub_server import FakeGitHubServer

from workorder.shell import isolation
from workorder.demo.run import build_demo_repo, git_env
from workorder.shell.gitops import basic_auth_header
from workorder.shell.isolation import (
    AGENT_USER,
    IsolationUnavailable,
    Launch,
    Sandbox,
    detect_privilege,
    processes_of,
    sandbox_for,
)
from workorder.shell.proc import run_shell
from workorder.shell.pythonshim import write_python_shim

REVIEWER_TOKEN = "ghp_" + "R9e8V7i6E5w4E3r2T1o0" * 2
AGENTS = Path(__file__).parent / "agents"
SYSTEM_PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
PRIVILEGE = detect_privilege()
needs_privilege = pytest.mark.skipif(
    PRIVILEGE is None, reason="the agent-user boundary needs root or passwordless sudo (sudo -n); neither is here")
needs_system_python = pytest.mark.skipif(
    SYSTEM_PYTHON is None, reason="the hostile agents need a python the agent user can run (/usr/bin/python3)")


# -- fast table tests (no privilege needed) ---------------------------------------------------------
@pytest.mark.parametrize("mode,holds,privilege,expected", [
    ("none", True, "root", None),
    ("auto", False, None, None),  # the offline demo, `workorder run` without --push
    ("auto", True, "root", "sandbox"),
    ("auto", True, None, "refusal"),
    ("user", False, None, "refusal"),
])
def test_sandbox_for_modes(mode, holds, privilege, expected, tmp_path, monkeypatch):
    monkeypatch.setattr(Sandbox, "_ensure_user", lambda self: None)
    sandbox = sandbox_for(mode, holds, parent=tmp_path, privilege=privilege)
    if expected is None:
        assert sandbox is None
        return
    assert (sandbox.refusal is not None) == (expected == "refusal")
    assert sandbox.worktrees.parent == sandbox.root and oct(sandbox.root.stat().st_mode)[-3:] == "711"
    if expected == "refusal":
        with pytest.raises(IsolationUnavailable, match="the agent was not started.*isolation: none"), \
                sandbox.phase(sandbox.worktrees / "1", {}):
            pass  # pragma: no cover - never reached
        sandbox.close()
        assert not sandbox.root.exists()


def test_sudo_launch_puts_no_value_on_argv(tmp_path):
    env = {"OPENAI_API_KEY": "sk-very-secret-value", "PATH": "/usr/bin"}
    launch = Launch(cwd=tmp_path, env=env, privilege="sudo", user=AGENT_USER, uid=999, gid=999,
                    env_file=tmp_path / ".workorder-env")
    kwargs = launch.popen_kwargs("codex exec -")
    assert kwargs["args"][:5] == ["sudo", "-n", "-u", AGENT_USER, "--"]
    assert not any("sk-very-secret-value" in arg for arg in kwargs["args"])
    assert kwargs["env"] == {"PATH": isolation.SUDO_PATH}  # not even sudo's own environment holds it
    root = Launch(cwd=tmp_path, env=env, privilege="root", user=AGENT_USER, uid=999, gid=998).popen_kwargs("x")
    assert (root["user"], root["group"], root["extra_groups"], root["env"]) == (999, 998, [], env)


def test_env_file_round_trips_through_sh(tmp_path):
    env = {"A": "it's \"quoted\" $HOME `x`\nline two", "B": "", "bad-name": "dropped"}
    isolation._write_env_file(tmp_path / "env", env)
    assert oct((tmp_path / "env").stat().st_mode)[-3:] == "600"
    out = subprocess.run(["/usr/bin/env", "-i", "/bin/sh", "-c", 'set -a; . "$1"; printf "%s|%s" "$A" "$B"', "sh",
                          str(tmp_path / "env")], capture_output=True, text=True, check=True).stdout
    assert out == env["A"] + "|"


# -- one phase as the agent user --------------------------------------------------------------------
@pytest.fixture
def sandbox():
    box = sandbox_for("user", True, privilege=PRIVILEGE)
    yield box
    box.close()
    assert not box.root.exists()


@needs_privilege
def test_phase_runs_as_the_agent_and_leaves_nothing_running(sandbox, tmp_path):
    tree = sandbox.worktrees / "1"
    (tree / "sub").mkdir(parents=True)
    (tree / ".git").write_text("gitdir: /somewhere/.git/worktrees/1\n")
    exchange = tmp_path / "phase"
    exchange.mkdir()
    (exchange / "prompt.md").write_text("the prompt")
    env = {"PATH": "/usr/bin:/bin", "WORKORDER_PROMPT_FILE": str(exchange / "prompt.md"),
           "WORKORDER_RESULT_FILE": str(exchange / "dod.json"), "HOME": "/root"}
    script = ('test -e .git && echo visible > git.txt; id -u > uid.txt; echo "$HOME $TMPDIR" > dirs.txt; cat "$WORKORDER_PROMPT_FILE" > seen.txt; '
              'echo packet > "$WORKORDER_RESULT_FILE"; ln -s /etc/passwd "$(dirname "$WORKORDER_RESULT_FILE")/link"; '
              'rm .git; mkdir -p .git/hooks sub/.git; (sleep 300 &); cat /proc/1/environ > environ.txt 2>&1; exit 0')
    result = run_shell(script, tree, env, 30, exchange / "output.log", sandbox=sandbox, exchange=exchange)
    agent = isolation.pwd.getpwnam(AGENT_USER)
    assert result.exit_code == 0
    assert (tree / "uid.txt").read_text().strip() == str(agent.pw_uid)
    assert (tree / "dirs.txt").read_text().split() == [str(sandbox.root / "home"), str(sandbox.root / "tmp")]
    assert (tree / "seen.txt").read_text() == "the prompt"
    assert not (tree / "git.txt").exists()  # no .git pointer during the phase
    assert "Permission denied" in (tree / "environ.txt").read_text()
    assert (exchange / "dod.json").read_text() == "packet\n"
    assert not (exchange / "link").exists()  # a symlink the agent left is never copied back
    assert processes_of(agent.pw_uid) == []  # the background sleep is gone
    assert {p.stat().st_uid for p in tree.rglob("*")} == {os.getuid()}
    assert (tree / ".git").read_text() == "gitdir: /somewhere/.git/worktrees/1\n"  # the trusted pointer again
    assert not (tree / "sub" / ".git").exists()


@needs_privilege
def test_phase_refuses_a_tree_outside_the_sandbox(sandbox, tmp_path):
    with pytest.raises(IsolationUnavailable, match="not under the sandbox"):
        run_shell("true", tmp_path, {}, 5, tmp_path / "log", sandbox=sandbox)


# -- refusal and explicit opt-out, through `workorder handle` -------------------------------------
def test_no_boundary_refuses_the_agent_with_the_reason_in_the_tracking_comment(action, tmp_path, monkeypatch):
    monkeypatch.setattr(isolation, "detect_privilege", lambda: None)  # neither root nor sudo -n
    action.env.pop("WORKORDER_ISOLATION")
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("env-dump", str(tmp_path / "ran.json"))
    action.handle(labeled_payload())
    assert not (tmp_path / "ran.json").exists()  # the agent never started
    assert "wo:blocked" in action.fake.issues[1]["labels"]
    tracking = action.tracking()
    assert "Stopped: isolation" in tracking and "the agent was not started" in tracking
    assert "isolation: none" in tracking


def test_isolation_none_in_the_config_runs_without_a_boundary(action, monkeypatch):
    monkeypatch.setattr(isolation, "detect_privilege", lambda: None)
    action.env.pop("WORKORDER_ISOLATION")
    config = (action.workspace / ".github" / "workorder.yml").read_text()
    action.commit_config(config + "isolation: none\n")
    code, _ = action.handle(labeled_payload())
    assert code == 0 and "wo:passed" in action.fake.issues[1]["labels"]


# -- the hostile runner, test module and reviewer -------------------------------------------------
class Scene:
    """A runner-like layout under a world-traversable temp folder, and `workorder handle` as a subprocess."""

    def __init__(self, base: Path):
        self.base = base
        self.env_git = git_env({"PATH": os.environ["PATH"], "HOME": str(base / "home"), "LANG": "C.UTF-8"})
        build_demo_repo(base / "seed", sys.executable, self.env_git)
        self.origin = base / "seed" / "origin.git"
        self.ws = base / "ws"
        self.agent = base / "agent"
        self.agent.mkdir()
        for name in ("hostile_hunt.py", "hostile_runner.py", "hostile_reviewer.py"):
            shutil.copy(AGENTS / name, self.agent / name)
        self.loot = base / "loot"
        self.loot.mkdir()
        self.loot.chmod(0o777)
        self.bin = write_python_shim(base / "bin", SYSTEM_PYTHON)
        self._git("clone", "-q", str(self.origin), str(self.ws), cwd=base)
        (self.ws / ".github" / "workorder.yml").write_text(
            "runner:\n  timeout: 120\nmax_cycles: 1\nreviewer:\n  preset: command\n"
            f"  command: python3 {self.agent}/hostile_reviewer.py\n  timeout: 120\n")
        for args in (["commit", "-qam", "config"], ["push", "-q", "origin", "HEAD:main"], ["fetch", "-q", "origin"]):
            self._git(*args, cwd=self.ws)
        # what actions/checkout persists, and what a runner's HOME and temp folder hold
        self._git("config", "http.https://github.com/.extraheader", basic_auth_header(TOKEN), cwd=self.ws)
        home = base / "home"
        home.mkdir()
        (home / ".git-credentials").write_text(f"https://x-access-token:{TOKEN}@github.com\n")
        (home / ".gitconfig").write_text("[credential]\n\thelper = store\n")
        self.temp = base / "temp"
        (self.temp / "_github_workflow").mkdir(parents=True)
        (self.temp / "_runner_file_commands").mkdir()
        (self.temp / "_runner_file_commands" / "save_state").write_text(f"token={REVIEWER_TOKEN}\n")
        self.event = self.temp / "_github_workflow" / "event.json"
        self.event.write_text(json.dumps(labeled_payload()))
        self.fake = FakeGitHub(permissions={"Codertocat": "admin"})
        self.fake.add_issue(1, "Add subtract to calc", WORK_ORDER, ["wo:ready"])
        self.fake.head_sha = self.remote_sha

    def _git(self, *args: str, cwd: Path) -> str:
        return subprocess.run(["git", *args], cwd=cwd, env=self.env_git, check=True, capture_output=True,
                              text=True).stdout

    def remote_sha(self, branch: str) -> str:
        out = self._git("ls-remote", str(self.origin), f"refs/heads/{branch}", cwd=self.base).split()
        return out[0] if out else "0" * 40

    def handle(self, server: FakeGitHubServer, **extra: str) -> subprocess.CompletedProcess:
        (self.agent / "hunt.json").write_text(json.dumps({
            "api": server.url, "repo": self.fake.repo, "origin": str(self.origin), "loot": str(self.loot),
            "paths": [str(self.base / "home"), str(self.ws / ".git"), str(self.temp), str(self.event)]}))
        env = {**self.env_git, "PATH": f"{self.bin}:{os.environ['PATH']}", "TMPDIR": str(self.base),
               "RUNNER_TEMP": str(self.temp), "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "issues",
               "GITHUB_EVENT_PATH": str(self.event), "GITHUB_REPOSITORY": self.fake.repo,
               "GITHUB_WORKSPACE": str(self.ws), "GITHUB_RUN_ID": "4242", "GITHUB_API_URL": server.url,
               "GITHUB_TOKEN": TOKEN, "WORKORDER_GITHUB_TOKEN": TOKEN, "WORKORDER_REVIEWER_TOKEN": REVIEWER_TOKEN,
               "WORKORDER_NO_THROTTLE": "1", "GITHUB_OUTPUT": str(self.base / "output.txt"),
               "WORKORDER_RUNNER_COMMAND": f"python3 {self.agent}/hostile_runner.py", **extra}
        return subprocess.run([sys.executable, "-m", "workorder", "handle"], check=False, cwd=self.ws, env=env,
                              capture_output=True, text=True, timeout=600)

    def reports(self) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for path in self.loot.glob("*.json"):
            report = json.loads(path.read_text())
            found.setdefault(report["who"], []).append(report)
        return found

    def hostile_comments(self) -> list[str]:
        return [c["body"] for c in self.fake.comments.values() if "HOSTILE" in c["body"]]


@pytest.fixture
def scene():
    base = Path(tempfile.mkdtemp(prefix="workorder-hostile-"))
    base.chmod(0o755)  # like /home/runner/work on a runner: other users may traverse it
    yield Scene(base)
    subprocess.run(["rm", "-rf", str(base)], check=False)


@needs_privilege
@needs_system_python
def test_hostile_runner_test_module_and_reviewer_find_nothing_and_write_nothing(scene):
    modes = {p: p.stat().st_mode for p in (scene.ws / ".git", scene.temp)}
    with FakeGitHubServer(scene.fake, (TOKEN, REVIEWER_TOKEN)) as server:
        start = time.monotonic()
        proc = scene.handle(server)
        seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert {p: p.stat().st_mode for p in modes} == modes, "closed for the run, given back at its end"
    assert "wo:passed" in scene.fake.issues[1]["labels"], proc.stdout[-3000:]
    reports = scene.reports()
    assert set(reports) == {"runner", "verify", "reviewer"}, "every hunter ran: the SE runner, the test module, the reviewer"
    agent_uid = isolation.pwd.getpwnam(AGENT_USER).pw_uid
    for who, runs in reports.items():
        for report in runs:
            assert report["uid"] == agent_uid
            assert report["tokens"] == {}, f"{who} found a credential: {report['tokens']}"
            assert report["read"] > 0 and report["denied"] > 0  # it really looked, and was stopped
            assert {m["uid"] for m in report["mem_read"]} <= {agent_uid}  # only its own processes' memory
            assert all(p["exit_code"] != 0 for p in report["pushes"])
            assert [p["with_token"] for p in report["posts"]] == [False] and report["posts"][0]["status"] == 401
    assert scene.hostile_comments() == []
    assert all(r.token is None for r in server.requests if "HOSTILE" in r.body)
    assert len([r for r in server.requests if "HOSTILE" in r.body]) >= 3  # the attempts reached the server
    assert "hostile" not in scene._git("ls-remote", str(scene.origin), cwd=scene.base)
    print(f"isolated handle run: {seconds:.2f} s")


@needs_system_python
def test_without_the_boundary_the_same_hunters_find_the_token_and_write(scene):
    """The control: with `isolation: none` the hunters run as the action's user; they must find the
    token (so the isolated test above can fail) and their comment must reach the fake GitHub."""
    with FakeGitHubServer(scene.fake, (TOKEN, REVIEWER_TOKEN)) as server:
        start = time.monotonic()
        proc = scene.handle(server, WORKORDER_ISOLATION="none")
        seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    reports = scene.reports()
    assert set(reports) == {"runner", "verify", "reviewer"}
    for who, runs in reports.items():
        found = {t for r in runs for t in r["tokens"]}
        assert TOKEN in found, f"{who} should find the token without a boundary"
    sources = {s for runs in reports.values() for r in runs for s in r["tokens"].get(TOKEN, [])}
    assert any(s.startswith("/proc/") and s.endswith("/environ") for s in sources)
    assert str(scene.ws / ".git" / "config") in sources
    assert any(s.startswith(str(scene.temp)) for runs in reports.values() for r in runs
               for s in r["tokens"].get(REVIEWER_TOKEN, []))
    assert len(scene.hostile_comments()) >= 3
    print(f"handle run without a boundary: {seconds:.2f} s")


def test_protect_leaves_root_and_shared_sticky_folders_alone(tmp_path):
    folder = tmp_path / "runner-temp"
    folder.mkdir(mode=0o755)
    sticky = tmp_path / "shared"
    sticky.mkdir()
    sticky.chmod(0o1777)
    assert isolation.protect_path(folder) == 0o755 and oct(folder.stat().st_mode)[-3:] == "700"
    assert isolation.protect_path(sticky) is None and oct(sticky.stat().st_mode)[-4:] == "1777"
    assert isolation.protect_path(Path("/")) is None
    assert isolation.protect_path(tmp_path / "missing") is None


def test_closing_the_sandbox_gives_the_protected_folders_their_modes_back(tmp_path):
    """The boundary closes the caller's folders for the run only: later steps of the job (or the
    developer's own repository after `workorder run --push`) find them as they were."""
    folders = [tmp_path / "runner-temp", tmp_path / "home"]
    for folder, mode in zip(folders, (0o755, 0o750)):
        folder.mkdir(mode=mode)
        folder.chmod(mode)
    sandbox = isolation.Sandbox(tmp_path / "sandbox", None, refusal="no boundary here")
    sandbox.protected = [(f, isolation.protect_path(f)) for f in folders]
    assert all(oct(f.stat().st_mode)[-3:] == "700" for f in folders)
    sandbox.close()
    assert [oct(f.stat().st_mode)[-3:] for f in folders] == ["755", "750"]
    sandbox.close()  # twice is harmless
