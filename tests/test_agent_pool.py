"""Each run borrows its own agent user (workorder.shell.agent_pool): one run's phase kill never reaches
another run's processes, and one run's agent cannot read another run's work tree. The controls run
the same two sandboxes as one shared user (what every run was before) and see the kill and the read."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from workorder.shell import agent_pool, handback
from workorder.shell.isolation import Sandbox, detect_privilege, sandbox_for
from workorder.shell.proc import run_shell

PRIVILEGE = detect_privilege()
needs_privilege = pytest.mark.skipif(PRIVILEGE is None, reason="the agent users need root or passwordless sudo (sudo -n)")


def test_claims_are_exclusive_until_released(tmp_path):
    first, second = agent_pool.claim(tmp_path), agent_pool.claim(tmp_path)
    assert (first.user, second.user) == ("workorder-agent-0", "workorder-agent-1")
    first.release()
    third = agent_pool.claim(tmp_path)
    assert third.user == "workorder-agent-0"
    for slot in (second, third):
        slot.release()
    second.release()  # twice is harmless


def test_a_dead_run_gives_its_slot_back(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from workorder.shell import agent_pool; "
                               f"s = agent_pool.claim(__import__('pathlib').Path({str(tmp_path)!r})); "
                               "print(s.user, flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "workorder-agent-0"
    with pytest.raises(agent_pool.PoolUnavailable, match="all 1 agent users are held"):
        agent_pool.claim(tmp_path, size=1)
    holder.kill()
    holder.wait()
    slot = agent_pool.claim(tmp_path, size=1)  # the kernel dropped the dead process's lock
    assert slot.user == "workorder-agent-0"
    slot.release()


def test_a_lock_folder_someone_else_owns_is_refused(tmp_path):
    folder = tmp_path / "locks"
    folder.mkdir()
    if os.geteuid() == 0:
        os.chown(folder, 65534, 65534)  # nobody: as an agent that made the folder first
        with pytest.raises(agent_pool.PoolUnavailable, match="not a folder of root or of this user"):
            agent_pool.ensure_lock_dir(lambda argv: None, folder)
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    with pytest.raises(agent_pool.PoolUnavailable):
        agent_pool.ensure_lock_dir(lambda argv: None, link)
    assert agent_pool.ensure_lock_dir(lambda argv: None, tmp_path) == tmp_path


def two_sandboxes(shared_user: bool) -> tuple[Sandbox, Sandbox]:
    if not shared_user:
        return sandbox_for("user", True, privilege=PRIVILEGE), sandbox_for("user", True, privilege=PRIVILEGE)
    import tempfile
    roots = [Path(tempfile.mkdtemp(prefix="workorder-sandbox-", dir="/tmp")) for _ in range(2)]
    return tuple(Sandbox(root, PRIVILEGE, user="workorder-agent").create() for root in roots)  # type: ignore[return-value]


def kill_and_read_across(shared_user: bool, tmp_path: Path) -> dict:
    """Run B's phase sleeps, then says it survived; meanwhile run A's phase reads B's tree and ends
    (its kill reaches every process of A's agent user). Returns what happened."""
    box_a, box_b = two_sandboxes(shared_user)
    try:
        tree_a, tree_b = box_a.worktrees / "1", box_b.worktrees / "1"
        for tree in (tree_a, tree_b):
            tree.mkdir(mode=0o755)
            (tree / "secret.txt").write_text("run's own file\n")
        results = {}

        def run_b():
            results["b"] = run_shell("sleep 4; echo survived > survived.txt", tree_b, {"PATH": "/usr/bin:/bin"}, 30,
                                     tmp_path / "b.log", sandbox=box_b)

        thread = threading.Thread(target=run_b)
        thread.start()
        time.sleep(1.5)  # B's phase is running
        results["a"] = run_shell(f"cat {tree_b}/secret.txt > read.txt 2>&1; true", tree_a, {"PATH": "/usr/bin:/bin"},
                                 30, tmp_path / "a.log", sandbox=box_a)
        thread.join()
        return {"b_exit": results["b"].exit_code, "survived": (tree_b / "survived.txt").exists(),
                "read": (tree_a / "read.txt").read_text(), "users": (box_a.user, box_b.user)}
    finally:
        box_a.close()
        box_b.close()


@needs_privilege
def test_one_run_neither_kills_nor_reads_another_runs_agent(tmp_path):
    seen = kill_and_read_across(False, tmp_path)
    assert seen["users"][0] != seen["users"][1]
    assert seen["b_exit"] == 0 and seen["survived"], "run A's phase kill never reaches run B's processes"
    assert "Permission denied" in seen["read"], "run A's agent cannot read run B's tree"


@needs_privilege
def test_control_one_shared_agent_user_kills_across_runs(tmp_path):
    seen = kill_and_read_across(True, tmp_path)
    assert seen["b_exit"] == -9 and not seen["survived"], "the old shared user: A's phase kills B's agent"


@needs_privilege
def test_control_an_open_tree_is_read_by_another_runs_agent(tmp_path, monkeypatch):
    """Own users, but the tree left as made (0755, as git makes it) instead of closed to 0700."""
    monkeypatch.setattr(handback, "close_argv", lambda path: ["true"])
    seen = kill_and_read_across(False, tmp_path)
    assert seen["b_exit"] == 0 and seen["survived"]
    assert seen["read"] == "run's own file\n", "an open tree is read by another run's agent"


def stash_and_peek(tmp_path: Path) -> dict:
    """Run A's agent stashes a file in /tmp; run B's agent (another user) tries to read it while A
    is still open; A closes; a later run borrows A's agent user. Returns what B read, whether the
    stash outlived A, and whether the later run finds it."""
    box_a, box_b = sandbox_for("user", True, privilege=PRIVILEGE), sandbox_for("user", True, privilege=PRIVILEGE)
    stash = Path(f"/tmp/wo-stash-{os.getpid()}-{time.monotonic_ns()}")
    try:
        for box in (box_a, box_b):
            (box.worktrees / "1").mkdir()
        run_shell(f"echo secret-of-run-a > {stash}", box_a.worktrees / "1", {"PATH": "/usr/bin:/bin"}, 30,
                  tmp_path / "a.log", sandbox=box_a)
        run_shell(f"cat {stash} > peek.txt 2>&1; true", box_b.worktrees / "1", {"PATH": "/usr/bin:/bin"}, 30,
                  tmp_path / "b.log", sandbox=box_b)
        peek = (box_b.worktrees / "1" / "peek.txt").read_text()
    finally:
        held, box_a.slot = box_a.slot, None  # A's user stays locked: no other run (an xdist worker) borrows it now
        box_a.close()
        box_b.close()
    outlived = stash.exists()
    real_claim = agent_pool.claim
    agent_pool.claim = lambda *a, **k: agent_pool.Slot(box_a.user, None)  # the next run gets A's user
    try:
        later = sandbox_for("user", True, privilege=PRIVILEGE)
        later.close()
    finally:
        agent_pool.claim = real_claim
        if held is not None:
            held.release()
    found = stash.exists()
    stash.unlink(missing_ok=True)
    return {"peek": peek, "outlived": outlived, "found_later": found}


@needs_privilege
def test_what_an_agent_leaves_in_tmp_is_its_own_and_gone_before_its_user_is_lent_again(tmp_path):
    seen = stash_and_peek(tmp_path)
    assert "Permission denied" in seen["peek"], "umask 077: another run's agent cannot read it"
    assert seen["outlived"] and not seen["found_later"], "removed when the next run borrows the user"


@needs_privilege
def test_control_with_the_usual_umask_and_no_cleanup_the_stash_is_read_and_found_later(tmp_path, monkeypatch):
    from workorder.shell import isolation

    monkeypatch.setattr(isolation, "AGENT_UMASK", 0o022)
    monkeypatch.setattr(agent_pool, "leftovers_argv", lambda user: ["true"])
    seen = stash_and_peek(tmp_path)
    assert seen["peek"] == "secret-of-run-a\n" and seen["found_later"]
