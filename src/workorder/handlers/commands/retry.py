"""``/wo retry``: run the failed phase again."""

from __future__ import annotations

from ._base import RETRYABLE, Command, CommandCall, CommandResult, ran
from ...loop.state import State
from ..session import Session, run_work_order

VERB = "retry"
LANE = "loop"
ACKNOWLEDGED = True


def retryable(session: Session) -> str | None:
    """None when the blocked work order failed in a way a retry can mend, else a refusal code."""
    s = session.state
    if s is not None and s.failure is not None and s.failure.kind == "budget_exhausted":
        if not s.budget_override_by:
            return "over_budget"  # a cap across runs: only a maintainer's /wo budget lets it go on (budget_gate.py)
        if not s.branch:
            return "nothing_to_retry"  # refused before its first run: /wo start starts it
    if s is None or s.failure is None or s.failure.kind not in RETRYABLE or session.current is not State.BLOCKED:
        return "nothing_to_retry"
    if s.lock_broken:
        return "locked"
    return None


def cmd_retry(call: CommandCall) -> CommandResult:
    """Run the failed phase again."""
    return ran(run_work_order(call.session, call.get_issue(), mode="retry", command_id=call.comment.id))


COMMAND = Command(VERB, "retry", "run the failed phase again (after a runner crash or timeout)", ("/wo retry",),
                  "config", State.RUNNING, cmd_retry, retryable, lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True,
                  reply="command_retry.md.j2", codes=("nothing_to_retry", "over_budget"), order=50)
