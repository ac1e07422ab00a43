"""``/wo fix <notes>``: a corrective cycle started by a person, with their notes."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult, ran
from ...loop.state import State
from ..session import Session, run_work_order

VERB = "fix"
LANE = "loop"
ACKNOWLEDGED = True


def fix_refusal(session: Session) -> str | None:
    """Why a human-driven fix cycle is not possible now (a refusal code), or None."""
    s = session.state
    if s is None or not s.pr_number:
        return "no_work_yet"
    if s.lock_broken:
        return "locked"
    if s.human_cycles >= session.ctx.config.max_human_cycles:
        return "human_cap"
    if session.current not in (State.PASSED, State.APPROVED, State.CHANGES_REQUESTED, State.BLOCKED):
        return "illegal_state"
    return None


def cmd_fix(call: CommandCall) -> CommandResult:
    """Run a fix cycle with the command's arguments as notes."""
    return ran(run_work_order(call.session, call.get_issue(), mode="fix", notes=call.command.args,
                              command_id=call.comment.id))


COMMAND = Command(VERB, "fix <notes>", "run a corrective cycle now, with your notes added to the corrective prompt",
                  ("/wo fix also handle negative numbers",), "config", State.RUNNING, cmd_fix, fix_refusal,
                  lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True, reply="command_fix.md.j2",
                  codes=("no_work_yet", "human_cap"), order=40)
