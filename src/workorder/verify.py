"""The action re-runs the verify commands itself: this is the evidence, not the agent's claims."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from .proc import run_shell


class VerifyRun(BaseModel):
    """One verify command as the action ran it.

    exit_code is None when it timed out; duration_s in seconds; output_tail is the end of its output.
    """

    cmd: str
    exit_code: int | None
    duration_s: float
    timed_out: bool = False
    output_tail: str = Field(default="", repr=False)

    @property
    def passed(self) -> bool:
        """True when it exited 0 within its timeout."""
        return self.exit_code == 0 and not self.timed_out


def run_verify_commands(
    commands: list[str], worktree: Path, env: dict[str, str], timeout_s: float, log_dir: Path
) -> list[VerifyRun]:
    """Run every command in ``commands`` (all of them, even after a failure) in ``worktree``.

    Each gets ``timeout_s`` seconds and the scrubbed ``env``; output goes to
    ``log_dir/verify-<n>.log``; the work tree's absolute path is cut from the output tail so evidence
    shows repo-relative paths. Returns one :class:`VerifyRun` per command, in order.
    """
    runs = []
    for index, cmd in enumerate(commands, start=1):
        result = run_shell(cmd, worktree, env, timeout_s, log_dir / f"verify-{index}.log")
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
