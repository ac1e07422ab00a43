"""Nothing the agent starts outlives its phase: the agent users may not use the host's schedulers.

The phase ends with every process of the agent user killed, but a job handed to a scheduler runs
later as that user, outside every phase: with ``cron`` or ``at`` on the machine, an agent could
schedule a job that rewrites its work tree (or plants a ``.git``) after the action took it back.
So each agent user is put in ``/etc/cron.deny`` and ``/etc/at.deny`` (and taken out of
``cron.allow``/``at.allow`` where those exist: then only the users listed there may schedule), and
whatever it managed to queue anyway (a crontab, ``at`` jobs, systemd lingering, which
``systemd-run --user`` needs to outlive a session) is removed when the sandbox opens and closes.
The files are the ones cron (Vixie/Debian ``crontab(1)``) and ``at(1)`` read.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

CRON_FILES = ("/etc/cron.allow", "/etc/cron.deny")
AT_FILES = ("/etc/at.allow", "/etc/at.deny")
_USER = re.compile(r"^[a-z_][a-z0-9_-]*$")


def _checked(user: str) -> str:
    if not _USER.match(user):
        raise ValueError(f"not a user name: {user!r}")
    return user


def deny_script(user: str) -> str:
    """The ``sh`` script (run as root) that denies ``user`` cron and at: its name removed from each
    allow file that exists, appended to each deny file (made 0644 when missing) unless already there."""
    u = shlex.quote(_checked(user))
    lines = []
    for allow, deny in (CRON_FILES, AT_FILES):
        lines.append(f"if [ -f {allow} ]; then sed -i '/^{_checked(user)}$/d' {allow}; fi")
        lines.append(f"[ -f {deny} ] || install -m 0644 /dev/null {deny}")
        lines.append(f"grep -qx {u} {deny} || echo {u} >> {deny}")
    return "\n".join(lines) + "\n"


def purge_script(user: str) -> str:
    """The ``sh`` script (run as root) that removes what ``user`` queued: its crontab, its ``at`` jobs
    and its systemd lingering. Every step is skipped when its tool is not installed."""
    u = shlex.quote(_checked(user))
    return (f"command -v crontab >/dev/null && crontab -r -u {u} 2>/dev/null\n"
            f"command -v atq >/dev/null && for j in $(atq 2>/dev/null | awk -v u={u} '$NF==u {{print $1}}'); "
            "do atrm \"$j\"; done\n"
            f"rm -f /var/lib/systemd/linger/{u}\n"
            "exit 0\n")


def deny_schedulers(user: str, priv: Callable[[list[str]], None]) -> None:
    """Deny ``user`` the schedulers and remove what it queued before; ``priv`` runs an argv as root
    (directly or through ``sudo -n``) and raises when it fails."""
    priv(["/bin/sh", "-c", deny_script(user) + purge_script(user)])


def purge_schedules(user: str, priv: Callable[[list[str]], None]) -> None:
    """Remove what ``user`` queued (see :func:`purge_script`) through ``priv``."""
    priv(["/bin/sh", "-c", purge_script(user)])


__all__ = ["AT_FILES", "CRON_FILES", "deny_schedulers", "deny_script", "purge_schedules", "purge_script"]
