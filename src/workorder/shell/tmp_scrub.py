"""Everything the agent user owns anywhere under the shared temporary folders, removed after a held-out run.

Root's scrub (:func:`workorder.shell.agent_pool.leftovers_argv`) removes what the agent user left at the top
of ``/tmp``, ``/var/tmp`` and ``/dev/shm``; a run that held the held-out tests could also have put a copy
inside a world-writable folder another user owns there (``/tmp/shared/``, mode 1777 or 0777), where the
next SE phase, the same user, would read it. This walk removes every file and folder the agent user owns
at any depth, in those three and in ``/run/lock`` (sticky and world-writable on Debian and Ubuntu, so a
copy can sit at its top as well). It runs as the agent user itself, never as root: inside a folder another user can write, a
path component can be swapped for a link between the walk and the removal, and run as the agent the
removal can only ever reach what the agent could remove anyway. ``find`` does not follow links and stays
on each folder's file system (``-xdev``); it is bounded in depth (``MAX_DEPTH``: only folders of other
users can make a path deep, every folder the agent made is removed whole) and in time (``TIME_LIMIT_S``).
Folders the agent user cannot read are not searched (it could not have reached them either); a file of
the agent's in a folder it can no longer write to (its owner closed it since) cannot be removed by it.
"""

from __future__ import annotations

import pwd
import subprocess
from pathlib import Path

ROOTS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # /run/lock: world-writable too (/var/lock links there)
MAX_DEPTH = 64
TIME_LIMIT_S = 120
SUDO_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/bin:/sbin"
# Run as the agent user with the roots as "$@": each path it owns (not descending into it) is made writable
# for it and removed with everything under it; errors (other users' folders) are expected and ignored.
SCRIPT = ('timeout -s KILL "$0" find "$@" -xdev -mindepth 1 -maxdepth ' + str(MAX_DEPTH) + ' -uid "$(id -u)" -prune'
          ' -print0 2>/dev/null | xargs -0 -r sh -c \'chmod -R u+rwx -- "$@"; rm -rf --one-file-system -- "$@"\''
          ' workorder-scrub 2>/dev/null; exit 0')


def owned_argv(privilege: str, user: str, roots: tuple[str, ...] = ROOTS) -> tuple[list[str], dict]:
    """The argv and extra ``subprocess.run`` arguments that run the scrub of ``roots`` (those that exist)
    as ``user``: as root with ``user=``/``group=``, else (``privilege`` ``sudo``) through ``sudo -n -u``.
    Raises KeyError when ``user`` does not exist."""
    entry = pwd.getpwnam(user)
    present = [r for r in roots if Path(r).is_dir()]
    script = ["/bin/sh", "-c", SCRIPT, str(TIME_LIMIT_S), *present]
    if privilege == "sudo":
        return ["sudo", "-n", "-u", user, "--", *script], {}
    return script, {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def remove_owned(privilege: str, user: str, roots: tuple[str, ...] = ROOTS) -> None:
    """Remove everything ``user`` owns under ``roots`` (see the module docstring), running as that user;
    call it once no process of the user is left. Best effort: never raises (a missing user, a refused
    sudo or a timeout leaves what could not be removed)."""
    try:
        argv, extra = owned_argv(privilege, user, roots)
        subprocess.run(argv, check=False, capture_output=True, env={"PATH": SUDO_PATH}, cwd="/",
                       stdin=subprocess.DEVNULL, timeout=TIME_LIMIT_S + 30, **extra)
    except (KeyError, OSError, subprocess.SubprocessError):
        pass
