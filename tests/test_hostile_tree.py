"""A hostile SE runner shapes its work tree for the action's git, through `workorder handle` against
the fake GitHub (tests/agents/hostile_tree.py): its own ``.git`` at the top and in a sub-folder (hooks,
fsmonitor, a clean filter), every mode opened, an escaped process, an ``at`` job and a crontab that
would plant the ``.git`` again after the phase. Behind the boundary nothing it planted runs (as the
action or at all), nothing it queued is accepted, nothing plants again, and the honest change PASSes.

The control runs the same with the tree taken back as before the hand-back defences (the agent's
``.git`` kept, modes kept, schedulers allowed): the action's git runs the agent's program as the
action's user. Unit-level controls for each defence are in test_git_hardening.py and test_schedulers.py.
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
from conftest import TOKEN
from fakegithub_server import FakeGitHubServer
from test_isolation import AGENTS, REVIEWER_TOKEN, Scene, needs_privilege, needs_system_python

# The control: the hand-back as it was (no .git removal, chown only, no tree closing, schedulers allowed).
OLD_HANDBACK = (
    "import sys\n"
    "from workorder.shell import handback, isolation, schedulers\n"
    "isolation._restore_pointer = lambda tree, pointer: None\n"
    "handback.handback_argv = lambda path, uid, gid: ['find', str(path), '-xdev', '(', '-type', 'f', '-links', '+1',"
    " ')', '-o', '-exec', 'chown', '-h', f'{uid}:{gid}', '{}', '+']\n"
    "handback.close_argv = lambda path: ['true']\n"
    "schedulers.deny_schedulers = lambda user, priv: None\n"
    "from workorder.cli import main\n"
    "sys.exit(main(['handle']))\n"
)


def handle(scene: Scene, server: FakeGitHubServer, argv: list[str], **extra: str) -> subprocess.CompletedProcess:
    """`workorder handle` (or ``argv``) as Scene.handle runs it, with the tree-shaping runner."""
    (scene.agent / "hunt.json").write_text(json.dumps({
        "api": server.url, "repo": scene.fake.repo, "origin": str(scene.origin), "loot": str(scene.loot),
        "paths": [str(scene.base / "home"), str(scene.ws / ".git"), str(scene.temp), str(scene.event)]}))
    env = {**scene.env_git, "PATH": f"{scene.bin}:{os.environ['PATH']}", "TMPDIR": str(scene.base),
           "RUNNER_TEMP": str(scene.temp), "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "issues",
           "GITHUB_EVENT_PATH": str(scene.event), "GITHUB_REPOSITORY": scene.fake.repo,
           "GITHUB_WORKSPACE": str(scene.ws), "GITHUB_RUN_ID": "4242", "GITHUB_API_URL": server.url,
           "GITHUB_TOKEN": TOKEN, "WORKORDER_GITHUB_TOKEN": TOKEN, "WORKORDER_REVIEWER_TOKEN": REVIEWER_TOKEN,
           "WORKORDER_NO_THROTTLE": "1", "GITHUB_OUTPUT": str(scene.base / "output.txt"),
           "WORKORDER_RUNNER_COMMAND": f"python3 {scene.agent}/hostile_tree.py", **extra}
    return subprocess.run(argv, check=False, cwd=scene.ws, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def scene():
    base = Path(tempfile.mkdtemp(prefix="workorder-hostile-tree-"))
    base.chmod(0o755)
    made = Scene(base)
    for name in ("hostile_tree.py", "hostile_tree_replant.py"):
        shutil.copy(AGENTS / name, made.agent / name)
    (made.ws / ".github" / "workorder.yml").write_text("runner:\n  timeout: 120\nmax_cycles: 1\nreviewer:\n  preset: none\n")
    made._git("commit", "-qam", "no reviewer", cwd=made.ws)
    made._git("push", "-q", "origin", "HEAD:main", cwd=made.ws)
    yield made
    subprocess.run(["rm", "-rf", str(base)], check=False)


def loot(scene: Scene, prefix: str) -> list[Path]:
    return sorted(scene.loot.glob(f"{prefix}*"))


@needs_privilege
@needs_system_python
def test_a_tree_shaping_runner_runs_nothing_as_the_action_and_leaves_nothing_behind(scene):
    with FakeGitHubServer(scene.fake, (TOKEN, REVIEWER_TOKEN)) as server:
        proc = handle(scene, server, [sys.executable, "-m", "workorder", "handle"])
    time.sleep(5)  # the escaped process would plant again 3 s after its phase
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "wo:passed" in scene.fake.issues[1]["labels"], proc.stdout[-3000:]
    reports = [json.loads(p.read_text()) for p in loot(scene, "tree-")]
    assert len(reports) == 1
    assert reports[0]["crontab"] != 0 and reports[0]["at"] != 0, "the agent user may not schedule anything"
    assert loot(scene, "ran-as-") == [], "nothing the agent planted ran"
    assert [json.loads(p.read_text())["planted"] for p in loot(scene, "replant-")] == [], \
        "the escaped process died with the phase"
    assert "hostile" not in scene._git("ls-remote", str(scene.origin), cwd=scene.base)


@needs_privilege
@needs_system_python
def test_control_with_the_old_hand_back_the_agents_git_runs_as_the_action(scene):
    with FakeGitHubServer(scene.fake, (TOKEN, REVIEWER_TOKEN)) as server:
        handle(scene, server, [sys.executable, "-c", OLD_HANDBACK])
    ran = {p.name for p in loot(scene, "ran-as-")}
    assert f"ran-as-{os.getuid()}" in ran, f"the agent's .git ran as the action's user: {ran}"
