"""Agent users of one host: every run borrows its own, so runs on one machine are strangers.

A phase ends with ``kill -KILL -1`` run as the agent user (it reaches every process of that user,
whatever it did to escape: setsid, double fork, nohup, new process groups, user namespaces), and the
agent's files are that user's. One user shared by every run would let run A's phase kill run B's agent
and verify commands, and read B's work tree. So each run holds one user of a pool for its whole life:
``workorder-agent-0`` ... ``workorder-agent-<POOL_SIZE-1>`` (never ``workorder-agent``, the one user
every run of older releases shares and kills as: a run of an older release on the same host must not
kill this one's agent either).

A slot is held with ``flock`` on ``<LOCK_DIR>/<user>.lock`` (a file of the action's user, mode 0600,
in a sticky folder owned by root): the kernel releases the lock when the run's process ends, however
it ends, so a crashed run never leaks its slot; the next holder kills whatever the last one left.
Users are made once (``useradd --system``, no home, no login shell) and kept: creating and removing a
user per run would race on ``/etc/passwd`` and leak uids when a run dies.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

POOL_PREFIX = "workorder-agent"
POOL_SIZE = 32
LOCK_DIR = Path("/run/lock/workorder-agents") if Path("/run/lock").is_dir() else Path("/tmp/workorder-agents.lock")


class PoolUnavailable(OSError):
    """No agent user could be borrowed: the lock folder is not the action's, or every slot is held."""


def slot_user(index: int) -> str:
    """The agent user of pool slot ``index``: ``workorder-agent-<index>``."""
    return f"{POOL_PREFIX}-{index}"


def is_agent_user(name: str) -> bool:
    """True when ``name`` is one of the pool's agent users."""
    return any(name == slot_user(i) for i in range(POOL_SIZE))


@dataclass
class Slot:
    """One borrowed agent user: ``user`` and the open, locked file ``fd`` that holds it."""

    user: str
    fd: int | None

    def release(self) -> None:
        """Give the user back to the pool (closing the locked file drops the lock). Safe to call twice."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def leftovers_argv(user: str) -> list[str]:
    """One ``find`` (run as root, once no process of ``user`` is left) removing what ``user`` left
    directly in the shared temporary folders (``/tmp``, ``/var/tmp``, ``/dev/shm``), run when a run
    borrows the user: it must not find the last run's files (that run has ended, so whoever watched it
    had their chance to read them). Only the top level is searched (a whole ``/tmp`` can hold hundreds of
    thousands of files; the parents are root's sticky folders, so no other user can swap a path
    component under ``rm``); what the user left inside another user's world-writable folder goes when
    that folder's owner is lent again, or, after a held-out run, at once (:mod:`workorder.shell.tmp_scrub`)."""
    roots = [p for p in ("/tmp", "/var/tmp", "/dev/shm") if Path(p).is_dir()]
    return ["find", *roots, "-xdev", "-mindepth", "1", "-maxdepth", "1", "-user", user,
            "-exec", "rm", "-rf", "--one-file-system", "{}", "+"]


def ensure_lock_dir(priv: Callable[[list[str]], None], lock_dir: Path = LOCK_DIR) -> Path:
    """Make ``lock_dir`` (root's, mode 1777: every action user may add its own lock files, none may
    remove another's) through ``priv`` (runs an argv as root or through ``sudo -n``). Returns it.
    Raises :class:`PoolUnavailable` when it is a symlink or belongs to someone else (an agent could
    have made it to steal the locks)."""
    if not lock_dir.exists():
        priv(["install", "-d", "-m", "1777", "-o", "root", "-g", "root", str(lock_dir)])
    st = lock_dir.lstat()
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode) or st.st_uid not in (0, os.getuid()):
        raise PoolUnavailable(f"{lock_dir} is not a folder of root or of this user: refusing to take agent slots there")
    return lock_dir


def claim(lock_dir: Path = LOCK_DIR, size: int = POOL_SIZE) -> Slot:
    """Lock the first free slot in ``lock_dir`` and return it. A lock file another user made (one this
    user cannot open) is skipped. Raises :class:`PoolUnavailable` when all ``size`` slots are held."""
    for index in range(size):
        user = slot_user(index)
        try:
            fd = os.open(lock_dir / f"{user}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return Slot(user, fd)
    raise PoolUnavailable(f"all {size} agent users are held by other runs on this machine")


__all__ = ["LOCK_DIR", "POOL_PREFIX", "POOL_SIZE", "PoolUnavailable", "Slot", "claim", "ensure_lock_dir",
           "is_agent_user", "leftovers_argv", "slot_user"]
