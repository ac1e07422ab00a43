"""The credential boundary: untrusted commands run as another, unprivileged OS user.

The SE runner, the LLM reviewer and the verify commands run as an agent user of the run's own
(``workorder-agent-<n>``, borrowed from the host's pool for the run: :mod:`workorder.shell.agent_pool`;
created on demand, denied cron and at: :mod:`workorder.shell.schedulers`), never as the action's user.
The same user owns the agent's own repository of a workshop phase (:mod:`workorder.shell.agent_repo`)
and runs inside the egress jail (:mod:`workorder.shell.egress`). Linux lets only the same uid (or CAP_SYS_PTRACE) read
``/proc/<pid>/environ`` and ``mem`` of a process, so the token the action holds in its own environment is
out of reach; what else could hold it (the workspace ``.git``, ``$RUNNER_TEMP`` with the event file, the
action's HOME) is made unreadable to other users (``chmod go-rwx``) before the first phase, and given
its mode back when the sandbox closes (at the end of the run).

Layout under the sandbox root (owned by the action's user, mode 0711: traversable, not listable)::

    work/<issue>   the work trees (``LoopDeps.worktrees``), chowned to the agent for a phase and back after
    home/, tmp/    the agent's fresh HOME and TMPDIR of each phase (0700, the agent's)
    x/             the phase's exchange folder (prompt, result file, schema, agent event files), copied back

A phase (:meth:`Sandbox.phase`) takes the work tree's ``.git`` pointer away (the agent sees a plain
folder; the workspace's ``.git`` is 0700 anyway), kills every process of the agent user when it ends,
gives the tree back (owner, no group/other write, no setuid/setgid, top folder 0700:
:mod:`workorder.shell.handback`), writes the pointer again and removes any ``.git`` the agent made (the
workshop's repository included), so the action never runs git on metadata (hooks, fsmonitor, config) the agent wrote. As root the command is started
with ``subprocess``'s ``user=``/``group=``/``extra_groups=[]``; as a user with passwordless sudo through
``sudo -n -u <the run's agent user>`` with the environment in a file only the agent user can read (never on
argv, which every user can read in ``/proc/*/cmdline``; sudo's ``--preserve-env`` is subject to the
sudoers policy: ``secure_path`` replaces PATH, ``env_delete`` drops names).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import agent_pool, handback, schedulers, tmp_scrub

AGENT_USER = "workorder-agent"
Mode = Literal["auto", "user", "none"]
Privilege = Literal["root", "sudo"]
SUDO_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
AGENT_UMASK = 0o077  # what the agent creates is its own: no other run's agent (another user) reads it
MAX_COPY_BYTES = 64 * 1024 * 1024  # larger exchange files are not copied back
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Loads the env file (then deletes it), enters the work tree, runs the command: sudo mode only.
_LOADER = 'umask 077; set -a; . "$1" || exit 97; rm -f "$1"; set +a; cd "$2" || exit 96; exec /bin/sh -c "$3"'


class IsolationUnavailable(OSError):
    """No credential boundary can be made, so the agent is not started. ``kind`` names the loop's
    failure kind; the message (from templates/isolation_refused.txt.j2) says why and what to change."""

    kind = "isolation"


def _templates():
    # jinja2 only once a message is needed, not when the module is imported
    from ..templates import active

    return active()


def unavailable(kind: str, **facts: object) -> IsolationUnavailable:
    """An :class:`IsolationUnavailable` whose message is ``templates/isolation_error.txt.j2`` rendered with
    ``kind`` (which picks the sentence) and ``facts`` (``user``, ``cwd``, ``worktrees``, ``command``,
    ``stderr``), exactly as rendered without its final newline. Raises ``jinja2.UndefinedError`` for an
    unknown kind or a missing fact (a bug, not input)."""
    text = _templates().render("isolation_error.txt.j2", kind=kind, **facts).removesuffix("\n")
    return IsolationUnavailable(text)


def detect_privilege(run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> Privilege | None:
    """How this process can act as another user: ``root`` (euid 0), ``sudo`` (``sudo -n true`` works,
    i.e. passwordless sudo) or None."""
    if os.geteuid() == 0:
        return "root"
    if shutil.which("sudo") is None:
        return None
    try:
        ok = run(["sudo", "-n", "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return None
    return "sudo" if ok else None


@dataclass(frozen=True)
class Launch:
    """How to start one command inside a phase: :meth:`popen_kwargs` gives ``subprocess.Popen``'s
    arguments (``args``, ``shell``, ``cwd``, ``env`` and, as root, ``user``/``group``/``extra_groups``)."""

    cwd: Path
    env: dict[str, str] = field(repr=False)
    privilege: Privilege
    user: str
    uid: int
    gid: int
    env_file: Path | None = None

    def popen_kwargs(self, cmd: str) -> dict:
        """Popen keyword arguments running ``/bin/sh -c cmd`` as the agent user in ``cwd``."""
        if self.privilege == "root":
            return {"args": cmd, "shell": True, "cwd": self.cwd, "env": self.env, "user": self.uid,
                    "group": self.gid, "extra_groups": [], "umask": AGENT_UMASK}
        argv = ["sudo", "-n", "-u", self.user, "--", "/usr/bin/env", "-i", "/bin/sh", "-c", _LOADER,
                "workorder-sandbox", str(self.env_file), str(self.cwd), cmd]
        return {"args": argv, "shell": False, "cwd": "/", "env": {"PATH": SUDO_PATH}}


class Sandbox:
    """Runs untrusted commands as ``user`` under ``root``; see the module docstring for the layout.

    ``privilege`` is how the action acts as that user. A sandbox built with ``refusal`` set (no way to
    make the boundary) raises :class:`IsolationUnavailable` with that text instead of running anything.
    """

    def __init__(self, root: Path, privilege: Privilege | None, user: str | None = AGENT_USER,
                 refusal: str | None = None):
        self.root = root
        self.privilege = privilege
        self.user: str = user or AGENT_USER  # None: borrow one from the pool (workorder.shell.agent_pool) in create()
        self.pooled = user is None
        self.slot: agent_pool.Slot | None = None
        self.refusal = refusal
        self.owner = (os.getuid(), os.getgid())
        self.protected: list[tuple[Path, int]] = []  # (path, its mode before create() closed it)

    @property
    def worktrees(self) -> Path:
        """The folder for the per-issue work trees (``LoopDeps.worktrees``)."""
        return self.root / "work"

    # -- setup and teardown --------------------------------------------------------------------
    def create(self, protect: Sequence[Path] = ()) -> Sandbox:
        """Make the root and ``work/`` (0711), create the agent user when missing, and take group and
        other permissions off each of ``protect`` that this user owns (:meth:`close` gives them back).
        Returns self. Raises
        :class:`IsolationUnavailable` when the user cannot be created."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o711)
        self.worktrees.mkdir(exist_ok=True)
        self.worktrees.chmod(0o711)
        if self.refusal is None:
            if self.pooled:
                self._claim_slot()
            self._ensure_user()
            schedulers.deny_schedulers(self.user, self._priv)
            for path in protect:
                if path.resolve() not in (self.root.resolve(), *self.root.resolve().parents):
                    before = protect_path(path)
                    if before is not None:
                        self.protected.append((path, before))
        return self

    def close(self) -> None:
        """Stop every process of the agent user, remove the sandbox root (work trees included) and give
        each path :meth:`create` closed its mode back. Safe to call twice."""
        if self.root.exists():
            if self.refusal is not None:
                shutil.rmtree(self.root, ignore_errors=True)
            else:
                self._kill_all()
                self._priv(["rm", "-rf", "--one-file-system", str(self.root)])
                schedulers.purge_schedules(self.user, self._priv)
        if self.slot is not None:
            self.slot.release()
        while self.protected:
            path, mode = self.protected.pop()
            with contextlib.suppress(OSError):  # gone, or no longer ours: nothing to give back
                path.chmod(mode)

    def _claim_slot(self) -> None:
        """Borrow this run's own agent user from the host's pool (see workorder.shell.agent_pool)."""
        try:
            self.slot = agent_pool.claim(agent_pool.ensure_lock_dir(self._priv))
        except agent_pool.PoolUnavailable as exc:
            raise unavailable("pool", reason=str(exc)) from None
        self.user = self.slot.user
        self._kill_all()  # a crashed run's processes, then what that run left in /tmp
        self._priv(agent_pool.leftovers_argv(self.user), check=False)

    def _ensure_user(self) -> None:
        for attempt in range(20):  # useradd fails while another run holds the lock on /etc/passwd
            try:
                pwd.getpwnam(self.user)
                return
            except KeyError:
                pass
            if attempt:
                time.sleep(0.1 * attempt)
            self._priv(["groupadd", "--system", self.user], check=False)
            self._priv(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--gid", self.user,
                        "--shell", "/usr/sbin/nologin", self.user], check=False)
        try:
            pwd.getpwnam(self.user)
        except KeyError:
            raise unavailable("useradd_failed", user=self.user) from None

    # -- one phase -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def phase(self, cwd: Path, env: dict[str, str], exchange: Path | None = None,
              workshop: bool = False) -> Iterator[Launch]:
        """One untrusted command's phase in the work tree ``cwd`` (which must be under ``worktrees``).

        ``exchange`` is the action's phase folder: its files are copied into the agent's exchange
        folder, values of ``env`` pointing into it are pointed there, and regular files the command
        wrote there are copied back when the phase ends. Yields a :class:`Launch`. On exit every process
        of the agent user is killed and the tree is the action's again. Raises
        :class:`IsolationUnavailable` when the sandbox refuses or ``cwd`` is outside it. With ``workshop``
        the agent gets its own disposable repository in ``cwd`` (:mod:`workorder.shell.agent_repo`), deleted
        with every other ``.git`` when the phase ends."""
        if self.refusal is not None:
            raise IsolationUnavailable(self.refusal)
        cwd = Path(cwd).resolve()
        if self.worktrees.resolve() not in cwd.parents:
            raise unavailable("outside_sandbox", cwd=cwd, worktrees=self.worktrees)
        agent = pwd.getpwnam(self.user)
        home, tmp, xdir = self.root / "home", self.root / "tmp", self.root / "x"
        self._kill_all()
        self._priv(["rm", "-rf", "--one-file-system", str(home), str(tmp), str(xdir)])
        for folder in (home, tmp, xdir):
            folder.mkdir(mode=0o700)
        copied_in = _copy_files(exchange, xdir) if exchange else set()
        run_env = _agent_env(env, exchange, xdir, home, tmp, self.user)
        env_file = None
        if self.privilege == "sudo":
            env_file = xdir / ".workorder-env"
            _write_env_file(env_file, run_env)
            copied_in.add(env_file.name)
        pointer = _read_pointer(cwd)
        if pointer is not None:
            (cwd / ".git").unlink()  # the agent sees a plain folder: no path to the workspace, no git metadata
        if workshop:  # issue 18 (workshop): a repository of its own, never read by the action
            from .agent_repo import build_for_phase

            build_for_phase(cwd, pointer, env)
        for path in (cwd, home, tmp, xdir):
            self._chown_tree(path, agent.pw_uid, agent.pw_gid)
        self._priv(handback.close_argv(cwd))  # the agent's own; no other run's agent reads it
        try:
            yield Launch(cwd=cwd, env=run_env, privilege=self.privilege or "root", user=self.user,
                         uid=agent.pw_uid, gid=agent.pw_gid, env_file=env_file)
        finally:
            self._kill_all()
            for path in (cwd, xdir):
                self._priv(handback.handback_argv(path, *self.owner))
            self._priv(handback.close_argv(cwd))
            _restore_pointer(cwd, pointer)
            if exchange:
                _copy_files(xdir, exchange, skip=copied_in)

    # -- privileged helpers --------------------------------------------------------------------
    def scrub_shared_tmp(self) -> None:
        """Remove what the agent user left at the top of the shared temporary folders (``/tmp``, ``/var/tmp``,
        ``/dev/shm``) now, not only when the user is next borrowed: after a run that held files the agent must
        never read (held-out tests, :mod:`workorder.loop.heldout_run`); then, run as the agent user, what it
        owns deeper (inside another user's world-writable folder: :mod:`workorder.shell.tmp_scrub`). Every
        phase has already killed the user's processes. Best effort (a failed ``find`` is not an error);
        nothing without a boundary."""
        if self.refusal is None and self.privilege is not None:
            self._priv(agent_pool.leftovers_argv(self.user), check=False)
            tmp_scrub.remove_owned(self.privilege, self.user)
            self._kill_all()

    def _priv(self, argv: list[str], check: bool = True) -> None:
        prefix = ["sudo", "-n"] if self.privilege == "sudo" else []
        proc = subprocess.run([*prefix, *argv], check=False, capture_output=True, text=True, env={"PATH": SUDO_PATH},
                              stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise unavailable("command_failed", command=" ".join(argv[:2]), stderr=proc.stderr.strip()[-300:])

    def _chown_tree(self, path: Path, uid: int, gid: int) -> None:
        """chown ``path`` and everything under it without following symlinks; a regular file with more
        than one link is left alone (a hard link the agent made to a file outside must not change owner)."""
        self._priv(["find", str(path), "-xdev", "(", "-type", "f", "-links", "+1", ")", "-o",
                    "-exec", "chown", "-h", f"{uid}:{gid}", "{}", "+"])

    def _kill_all(self) -> None:
        """SIGKILL every process of the agent user: ``kill -KILL -1`` run as that user reaches exactly
        its processes; repeated until none is left (a fork racing the first signal)."""
        try:
            entry = pwd.getpwnam(self.user)
        except KeyError:
            return
        uid = entry.pw_uid
        for _ in range(20):
            if not processes_of(uid):
                return
            if self.privilege == "sudo":
                argv, extra = ["sudo", "-n", "-u", self.user, "--", "/bin/sh", "-c", "kill -KILL -1; exit 0"], {}
            else:
                argv, extra = ["/bin/sh", "-c", "kill -KILL -1; exit 0"], {"user": uid, "group": entry.pw_gid, "extra_groups": []}
            subprocess.run(argv, check=False, env={"PATH": SUDO_PATH}, cwd="/", capture_output=True, **extra)
            time.sleep(0.05)
        raise unavailable("processes_left", user=self.user)


def processes_of(uid: int) -> list[int]:
    """PIDs whose real uid is ``uid`` (from ``/proc/<pid>/status``, readable by every user); zombies,
    which run nothing and wait for their parent to reap them, are not counted."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        match = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
        zombie = re.search(r"^State:\s+[ZX]", status, re.MULTILINE)
        if match and int(match.group(1)) == uid and not zombie:
            pids.append(int(entry.name))
    return pids


def protect_path(path: Path) -> int | None:
    """Take group and other permissions off ``path`` when it exists and this user owns it; returns its
    permission bits before (``stat.S_IMODE``, to give back) when it did, else None. Symlinks, ``/`` and
    shared sticky folders (``/tmp``, a HOME of ``/tmp``) are left as they are."""
    try:
        st = path.lstat()
    except OSError:
        return None
    if st.st_uid != os.getuid() or path.is_symlink() or path.resolve() == Path("/") or st.st_mode & stat.S_ISVTX:
        return None
    path.chmod(st.st_mode & 0o700)
    return stat.S_IMODE(st.st_mode)


def _agent_env(env: dict[str, str], exchange: Path | None, xdir: Path, home: Path, tmp: Path, user: str) -> dict[str, str]:
    """``env`` with paths into ``exchange`` pointed at ``xdir`` and the agent's own HOME, TMPDIR, USER."""
    out = {k: v for k, v in env.items() if not k.startswith("XDG_")}
    if exchange is not None:
        prefix = str(exchange)
        out = {k: str(xdir) + v[len(prefix):] if v == prefix or v.startswith(prefix + "/") else v for k, v in out.items()}
    out.update(HOME=str(home), TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp), USER=user, LOGNAME=user)
    return out


def _write_env_file(path: Path, env: dict[str, str]) -> None:
    """``NAME='value'`` lines for ``sh``'s ``.``, mode 0600 (the file is the agent's once chowned)."""
    lines = [f"{k}={shlex.quote(v)}\n" for k, v in env.items() if _NAME.match(k)]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(lines)


def _copy_files(src: Path, dst: Path, skip: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    """Copy the regular files directly in ``src`` to ``dst`` (no symlinks, no hard-linked files, none
    over MAX_COPY_BYTES, not ``*.log`` which the action writes itself, none named in ``skip``).
    Returns the names copied."""
    names = set()
    dst.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(src):
        if entry.name in skip or entry.name.endswith(".log") or not entry.is_file(follow_symlinks=False):
            continue
        st = entry.stat(follow_symlinks=False)
        if st.st_nlink != 1 or st.st_size > MAX_COPY_BYTES:
            continue
        fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(MAX_COPY_BYTES)
        (dst / entry.name).unlink(missing_ok=True)
        (dst / entry.name).write_bytes(data)
        names.add(entry.name)
    return names


def _read_pointer(tree: Path) -> str | None:
    """The text of a work tree's ``.git`` file (``gitdir: …``), or None when it is not a file."""
    dotgit = tree / ".git"
    return dotgit.read_text(encoding="utf-8") if dotgit.is_file() and not dotgit.is_symlink() else None


def _restore_pointer(tree: Path, pointer: str | None) -> None:
    """Put back the ``.git`` file the phase started with and delete every nested ``.git`` the agent
    made: the action must never read git metadata (hooks, config, fsmonitor) written by the agent."""
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in [n for n in (*dirnames, *filenames) if n == ".git"]:
            path = Path(dirpath) / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        dirnames[:] = [d for d in dirnames if d != ".git"]
    if pointer is not None:
        (tree / ".git").write_text(pointer, encoding="utf-8")


def sandbox_for(mode: Mode, holds_credential: bool, protect: Sequence[Path] = (), parent: Path | None = None,
                privilege: Privilege | None | Literal["detect"] = "detect", templates=None) -> Sandbox | None:
    """The sandbox for a run, or None when no boundary is wanted.

    ``mode`` is the config's ``isolation``: ``none`` never isolates; ``auto`` isolates runs that hold
    a GitHub credential (``holds_credential``: ``workorder handle``, ``run --push/--open-prs``);
    ``user`` always isolates. ``protect`` are paths made unreadable to other users (the workspace's
    ``.git``, ``$RUNNER_TEMP``, the event file's folder, the action's HOME, the state folder). The
    root is a new folder in ``parent`` (default: the system temp folder). ``privilege`` is normally
    detected; tests inject it. When no boundary can be made the sandbox refuses (see
    :class:`IsolationUnavailable`) with the text of templates/isolation_refused.txt.j2. Raises
    :class:`IsolationUnavailable` when the agent user cannot be created."""
    if mode == "none" or (mode == "auto" and not holds_credential):
        return None
    found = detect_privilege() if privilege == "detect" else privilege
    root = Path(tempfile.mkdtemp(prefix="workorder-sandbox-", dir=parent))
    if found is None:
        templates = templates if templates is not None else _templates()
        text = templates.render_line("isolation_refused.txt.j2", mode=mode, user=f"{agent_pool.POOL_PREFIX}-N",
                                     uid=os.getuid(), reason="neither root nor passwordless sudo")
        return Sandbox(root, None, refusal=text).create()
    return Sandbox(root, found, user=None).create(protect)


def sandbox_for_handle(settings, config) -> Sandbox | None:
    """The sandbox of one ``workorder handle`` run (which always holds a GitHub token).

    Takes the :class:`workorder.cli.settings.HandleSettings` and the trusted repo config; the mode is the
    action input ``isolation`` when given (``settings.isolation``), else the config's ``isolation``. Protects
    the workspace's ``.git``, the event file's folder, the state folder, ``$RUNNER_TEMP`` and the action's
    HOME (never a folder the sandbox lies in). The sandbox root is made in ``/tmp`` (``$TMPDIR`` may be
    ``$RUNNER_TEMP``, which is protected) and removed when the process exits. Returns None for
    ``isolation: none``."""
    given = getattr(settings, "isolation", "")
    mode = given if given in ("auto", "user", "none") else config.isolation
    environ = settings.environ
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    protect = [settings.workspace / ".git", settings.state_dir,
               *(Path(p).parent for p in [settings.event_path] if p),
               *(Path(environ[k]) for k in ("RUNNER_TEMP", "HOME") if environ.get(k))]
    shared_tmp = Path("/tmp")  # outside every protected folder, traversable by the agent user
    parent = shared_tmp if shared_tmp.is_dir() and shared_tmp.stat().st_mode & stat.S_ISVTX else None
    sandbox = sandbox_for(mode, holds_credential=True, protect=protect, parent=parent)
    if sandbox is not None:
        atexit.register(sandbox.close)
    return sandbox
