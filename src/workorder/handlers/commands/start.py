"""``/wo start``: the same as adding the trigger label."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult, ran
from ...loop.state import STARTABLE, State
from ..session import Session, run_work_order

VERB = "start"
LANE = "loop"
ACKNOWLEDGED = True


def startable(session: Session) -> str | None:
    """None when the work order may start now, else ``illegal_state``."""
    if session.current in STARTABLE or session.current is State.NEEDS_ANSWER:
        return None
    return "illegal_state"


def cmd_start(call: CommandCall) -> CommandResult:
    """Run the work order from the start."""
    return ran(run_work_order(call.session, call.get_issue(), command_id=call.comment.id))


COMMAND = Command(VERB, "start", "start the work order (the same as adding the trigger label)", ("/wo start",),
                  "config", State.RUNNING, cmd_start, startable, lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True,
                  order=30)
