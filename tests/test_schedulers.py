"""Nothing the agent starts outlives its phase: the agent users may not schedule jobs (cron, at).

With the schedulers installed (``.ci/run`` installs cron and at as root), a user that is not denied
can queue a crontab and an ``at`` job, and ``atd`` runs the job after the phase that queued it ended
(the controls); an agent user of the sandbox is refused both, and what it had queued is removed.
Skipped where cron or at cannot be found, or without root (the tests make a probe user).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from workorder.shell import schedulers
from workorder.shell.isolation import Sandbox, sandbox_for
from workorder.shell.proc import run_shell

# One worker runs them all: they share the probe user, the deny files and the atd they start, and a
# deny or purge of the probe on another xdist worker removed the control's queued job (stop 24's CI).
pytestmark = pytest.mark.xdist_group("schedulers")

PROBE = "wo-sched-probe"
needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"),
                                reason="makes a probe user and runs commands as it: needs root and runuser")
needs_cron = pytest.mark.skipif(not shutil.which("crontab"), reason="cron is not installed (apt-get install cron)")
needs_at = pytest.mark.skipif(not (shutil.which("at") and Path("/usr/sbin/atd").exists()),
                              reason="at is not installed (apt-get install at)")


def as_root(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def as_user(user: str, argv: list[str], stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *argv], input=stdin, capture_output=True, text=True, cwd="/")


@pytest.fixture
def probe():
    """A user like an agent user that nothing denied yet; removed (with its deny entries) afterwards."""
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                    "/usr/sbin/nologin", PROBE], capture_output=True)
    yield PROBE
    schedulers.purge_schedules(PROBE, as_root)
    for path in (*schedulers.CRON_FILES, *schedulers.AT_FILES):
        if Path(path).exists():
            subprocess.run(["sed", "-i", f"/^{PROBE}$/d", path], check=False)
    subprocess.run(["userdel", PROBE], capture_output=True)


@needs_root
@needs_cron
def test_an_agent_user_is_refused_a_crontab_and_its_old_one_removed(probe):
    accepted = as_user(probe, ["crontab", "-"], "* * * * * touch /tmp/wo-cron-ran\n")
    assert accepted.returncode == 0, "control: a user nothing denied schedules a cron job"
    assert subprocess.run(["crontab", "-l", "-u", probe], capture_output=True).returncode == 0
    schedulers.deny_schedulers(probe, as_root)
    refused = as_user(probe, ["crontab", "-"], "* * * * * touch /tmp/wo-cron-ran\n")
    assert refused.returncode != 0 and "not allowed" in refused.stderr + refused.stdout
    assert subprocess.run(["crontab", "-l", "-u", probe], capture_output=True).returncode != 0, "purged"


@needs_root
@needs_at
def test_an_agent_user_is_refused_at_and_its_queued_jobs_removed(probe):
    accepted = as_user(probe, ["at", "now", "+", "1", "hour"], "true\n")
    assert accepted.returncode == 0, "control: a user nothing denied queues an at job"
    queue = lambda: subprocess.run(["atq"], capture_output=True, text=True).stdout  # noqa: E731
    assert probe in queue()
    schedulers.deny_schedulers(probe, as_root)
    refused = as_user(probe, ["at", "now", "+", "1", "hour"], "true\n")
    assert refused.returncode != 0 and "permission" in refused.stderr.lower()
    assert probe not in queue(), "what it queued before is gone"


@pytest.fixture
def atd():
    """An ``atd`` running (ours, stopped afterwards, when none runs yet)."""
    pidfile = Path("/run/atd.pid")
    comm = Path(f"/proc/{pidfile.read_text().strip()}/comm") if pidfile.exists() else None
    running = comm is not None and comm.exists() and comm.read_text().strip() == "atd"
    proc = None if running else subprocess.Popen(["/usr/sbin/atd", "-f"], stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL)
    # ``at`` wakes atd through the pid file; a job queued before atd wrote it waits for atd's next
    # scan (up to an hour), so wait for our atd's pid there, not a fixed time (a loaded host is slow)
    deadline = time.monotonic() + 20
    while proc is not None and time.monotonic() < deadline and not (
            pidfile.exists() and pidfile.read_text().strip() == str(proc.pid)):
        time.sleep(0.05)
    yield
    if proc is not None:
        proc.kill()
        proc.wait()
        if pidfile.exists() and pidfile.read_text().strip() == str(proc.pid):
            pidfile.unlink()  # atd killed cannot remove its own pid file


def schedule_in_a_phase(box: Sandbox, drop: Path) -> tuple[int | None, bool]:
    """An agent phase that asks ``at`` to write ``drop/ran`` later; returns the phase's exit code and
    whether the file appeared after the phase ended (the job outlived it)."""
    tree = box.worktrees / "1"
    tree.mkdir()
    script = f"echo 'id -un > {drop}/ran' | at now"
    result = run_shell(script, tree, {"PATH": "/usr/bin:/bin"}, 30, drop.parent / "phase.log", sandbox=box)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (drop / "ran").exists():
        time.sleep(0.25)
    return result.exit_code, (drop / "ran").exists()


@pytest.fixture
def drop():
    base = Path(tempfile.mkdtemp(prefix="wo-sched-", dir="/tmp"))
    base.chmod(0o755)
    (base / "drop").mkdir()
    (base / "drop").chmod(0o777)
    yield base / "drop"
    shutil.rmtree(base, ignore_errors=True)


@needs_root
@needs_at
def test_nothing_an_agent_queues_in_a_phase_runs_after_it(atd, drop):
    box = sandbox_for("user", True, privilege="root")
    try:
        code, ran = schedule_in_a_phase(box, drop)
    finally:
        box.close()
    assert code != 0, "at refused the agent user"
    assert not ran


@needs_root
@needs_at
def test_control_without_the_deny_an_at_job_outlives_the_phase(atd, drop, probe, monkeypatch):
    monkeypatch.setattr(schedulers, "deny_schedulers", lambda user, priv: None)
    monkeypatch.setattr(schedulers, "purge_schedules", lambda user, priv: None)
    root = Path(tempfile.mkdtemp(prefix="workorder-sandbox-", dir="/tmp"))
    box = Sandbox(root, "root", user=probe).create()
    try:
        code, ran = schedule_in_a_phase(box, drop)
    finally:
        box.close()
    assert code == 0 and ran, "the job ran after the phase that queued it had ended and been killed"
    assert (drop / "ran").read_text().strip() == probe


def test_systemd_user_services_need_a_user_manager_the_agent_never_gets():
    """``systemd-run --user`` and lingering need systemd as the init and logind; where they exist the
    sandbox removes the agent user's linger file (purge_script). Documented, not provable here."""
    if not Path("/run/systemd/system").exists():
        pytest.skip("systemd is not the init system on this machine: no user manager can be started at all")
    assert "/var/lib/systemd/linger/" in schedulers.purge_script("workorder-agent-0")


def test_the_scripts_name_only_checked_users():
    with pytest.raises(ValueError):
        schedulers.deny_script("x; rm -rf /")
    assert "grep -qx workorder-agent-3 /etc/cron.deny" in schedulers.deny_script("workorder-agent-3")
