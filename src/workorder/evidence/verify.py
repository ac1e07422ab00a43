"""The action re-runs the verify commands itself: this is the evidence, not the agent's claims."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..shell.proc import run_shell
from .bytecode import NO_BYTECODE_ENV, bytecode_env
from .testresults import report_env
from .testresults_model import VerifyRun

if TYPE_CHECKING:
    from ..shell.isolation import Sandbox


# Python neither reads nor writes bytecode of the work tree during the action's own verify run: a
# __pycache__ the agent left holds .pyc files that Python trusts by source mtime and size, so a fix of the
# same size made in the same second would be tested as the old code. Every __pycache__ of the tree is deleted
# before each command; installed packages' bytecode is read (workorder.evidence.bytecode). VERIFY_ENV, no
# bytecode read at all (PYTHONPYCACHEPREFIX to a path that can never exist), is the fallback.
VERIFY_ENV = NO_BYTECODE_ENV


def run_verify_commands(
    commands: list[str], worktree: Path, env: dict[str, str], timeout_s: float, log_dir: Path,
    sandbox: Sandbox | None = None, test_reports: bool = False,
) -> list[VerifyRun]:
    """Run every command in ``commands`` (all of them, even after a failure) in ``worktree``.

    Each gets ``timeout_s`` seconds and the scrubbed ``env``; output goes to
    ``log_dir/verify-<n>.log``; the work tree's absolute path is cut from the output tail so evidence
    shows repo-relative paths. With a ``sandbox`` each command runs as its agent user (the tests the
    agent wrote are untrusted code). With ``test_reports`` each command also writes its pytest JUnit
    report into the work tree and ``go test`` runs verbose (:func:`workorder.evidence.testresults.report_env`; read them with
    :func:`workorder.evidence.testresults.collect_results`). Returns one :class:`VerifyRun` per command, in order.
    """
    runs = []
    for index, cmd in enumerate(commands, start=1):
        reports = report_env(env, worktree, index) if test_reports else {}
        bytecode = bytecode_env(worktree)  # before each command: the last one ran the agent's code
        result = run_shell(cmd, worktree, {**env, **bytecode, **reports}, timeout_s, log_dir / f"verify-{index}.log",
                           sandbox=sandbox)
        runs.append(
            VerifyRun(
                cmd=cmd,
                exit_code=result.exit_code,
                duration_s=result.duration_s,
                timed_out=result.timed_out,
                output_tail=result.output_tail.replace(f"{worktree}/", ""),
            )
        )
    return runs
