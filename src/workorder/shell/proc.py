"""Run one shell command with a timeout, capturing its output to a file."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .isolation import Sandbox

TAIL_CHARS = 4000


@dataclass(frozen=True)
class CommandResult:
    """What a command did.

    exit_code: the exit code (None when it was killed on timeout); duration_s: wall-clock seconds;
    timed_out: True when the timeout killed it; output_tail: the last ``TAIL_CHARS`` characters of
    its combined stdout and stderr (the whole output is in the log file).
    """

    cmd: str
    exit_code: int | None
    duration_s: float
    timed_out: bool
    output_tail: str


def _kill_group(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def read_tail(path: Path, chars: int = TAIL_CHARS) -> str:
    """The last ``chars`` characters of a text file (decoding errors replaced); '' if it is missing."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - chars * 4))
            return fh.read().decode("utf-8", "replace")[-chars:]
    except FileNotFoundError:
        return ""


def run_shell(cmd: str, cwd: Path, env: dict[str, str], timeout_s: float, log_path: Path,
              sandbox: Sandbox | None = None, exchange: Path | None = None) -> CommandResult:
    """Run ``cmd`` with ``/bin/sh -c`` in ``cwd`` with exactly ``env``.

    stdout and stderr go (merged) to ``log_path``; stdin is closed. The command runs in its own process
    group so a timeout (``timeout_s`` seconds) kills it and all its children. With a ``sandbox`` it runs
    as the sandbox's agent user (HOME and TMPDIR its own; ``exchange``, the phase folder whose paths
    ``env`` names, is mirrored for it; every process it left is killed afterwards). Never raises for the
    command's own failure: that is in the result; raises
    :class:`workorder.shell.isolation.IsolationUnavailable` when the sandbox refuses to run it.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if sandbox is None:
        return _run({"args": cmd, "shell": True, "cwd": cwd, "env": env}, cmd, timeout_s, log_path)
    with sandbox.phase(cwd, env, exchange) as launch:
        return _run(launch.popen_kwargs(cmd), cmd, timeout_s, log_path)


def _run(popen_kwargs: dict, cmd: str, timeout_s: float, log_path: Path) -> CommandResult:
    start = time.monotonic()
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            **popen_kwargs,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
    duration = time.monotonic() - start
    return CommandResult(
        cmd=cmd,
        exit_code=None if timed_out else proc.returncode,
        duration_s=round(duration, 3),
        timed_out=timed_out,
        output_tail=read_tail(log_path),
    )
