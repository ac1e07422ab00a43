"""The credential boundary as GitHub-hosted runners have it: the action runs as a non-root user with
passwordless sudo (``runner``), and the agent runs as ``workorder-agent`` through ``sudo -n -u``.

As root this test plays that runner: it creates the user ``wo-runner`` with a NOPASSWD sudoers entry
(removed afterwards), copies workorder's isolation modules (standard library only) where that user can
read them, and runs one phase from a process of ``wo-runner`` whose own environment holds a token.
Skipped where root, sudo, useradd or the system Python is missing (``.ci/run`` installs sudo).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "workorder"
USER = "wo-runner"
SUDOERS = Path("/etc/sudoers.d/wo-runner-test")
TOKEN = "ghs_" + "S" * 36
KEY = "sk-agent-key-" + "k" * 20

needs_root_and_sudo = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("sudo", "useradd", "runuser"))
    or not Path("/usr/bin/python3").exists(),
    reason="needs root, sudo, useradd, runuser and /usr/bin/python3 to play a passwordless-sudo runner user")

PHASE = textwrap.dedent('''
    import json, os, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from workorder.shell.isolation import detect_privilege, sandbox_for
    from workorder.shell.proc import run_shell
    found = detect_privilege()
    box = sandbox_for("user", True, privilege=found)
    tree = box.worktrees / "1"
    tree.mkdir(parents=True)
    exchange = Path(sys.argv[2])
    script = ('id -un > who.txt; printf %s "$AGENT_KEY" > key.txt; '
              'cat /proc/$PPID/environ /proc/*/environ 2>/dev/null | tr "\\\\0" "\\\\n" | grep -c ghs_ > leaks.txt; '
              'cat /proc/*/cmdline 2>/dev/null | tr "\\\\0" "\\\\n" | grep -cF -f key.txt > argv.txt; true')
    env = {"PATH": "/usr/bin:/bin", "AGENT_KEY": os.environ["AGENT_KEY"], "HOME": "/nonexistent"}
    result = run_shell(script, tree, env, 60, exchange / "output.log", sandbox=box, exchange=exchange)
    seen = {name: (tree / name).read_text().strip() for name in ("who.txt", "key.txt", "leaks.txt", "argv.txt")}
    box.close()
    print(json.dumps({"privilege": found, "exit": result.exit_code, **seen}))
''')


@pytest.fixture
def runner_user():
    """A user like GitHub's ``runner``: no root, passwordless sudo. Removed afterwards."""
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER], capture_output=True)
    SUDOERS.write_text(f"{USER} ALL=(ALL) NOPASSWD:ALL\n")
    SUDOERS.chmod(0o440)
    try:
        yield USER
    finally:
        SUDOERS.unlink(missing_ok=True)
        subprocess.run(["userdel", "--remove", USER], capture_output=True)


@pytest.fixture
def shared_dir():
    """A folder under /tmp the runner user can read (pytest's own temp root is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="wo-sudo-test-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@needs_root_and_sudo
def test_a_passwordless_sudo_user_runs_the_agent_as_another_user_that_finds_no_token(runner_user, shared_dir):
    shared = shared_dir
    (shared / "workorder" / "shell").mkdir(parents=True)
    for name in ("__init__.py", "shell/__init__.py", "shell/gitops.py", "shell/gitenv.py", "shell/isolation.py",
                 "shell/proc.py", "shell/pythonshim.py", "shell/agent_pool.py", "shell/handback.py",
                 "shell/schedulers.py", "shell/agent_repo.py", "shell/tmp_scrub.py"):
        shutil.copy(SRC / name, shared / "workorder" / name)
    (shared / "phase.py").write_text(PHASE)
    exchange = shared / "exchange"
    exchange.mkdir()
    for path in (shared, *shared.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    subprocess.run(["chown", "-R", f"{USER}:{USER}", str(exchange)], check=True)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GITHUB_TOKEN": TOKEN,
           "AGENT_KEY": KEY, "HOME": f"/home/{USER}"}
    proc = subprocess.run(["runuser", "-u", USER, "--", "/usr/bin/python3", str(shared / "phase.py"), str(shared),
                           str(exchange)], env=env, capture_output=True, text=True, timeout=120, cwd="/")
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["privilege"] == "sudo" and seen["exit"] == 0
    assert seen["who.txt"].startswith("workorder-agent"), "the agent runs as an agent user, not as the runner"
    assert seen["key.txt"] == KEY, "the agent gets its own key"
    assert seen["leaks.txt"] == "0", "no process the agent can read holds the runner's token"
    assert seen["argv.txt"] == "0", "the key is never on an argv"

