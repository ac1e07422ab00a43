"""``/wo unlock``: accept the edited work order and restart from it."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult, ran
from ...loop.state import State
from ..session import Session, run_work_order

VERB = "unlock"
LANE = "loop"
ACKNOWLEDGED = True


def unlockable(session: Session) -> str | None:
    """None when an edit locked the work order, else ``not_locked``."""
    return None if session.state is not None and session.state.lock_broken else "not_locked"


def cmd_unlock(call: CommandCall) -> CommandResult:
    """Restart from the work order as it is now."""
    return ran(run_work_order(call.session, call.get_issue(), command_id=call.comment.id))


COMMAND = Command(VERB, "unlock", "accept the edited work order and restart from it", ("/wo unlock",), "config",
                  State.RUNNING, cmd_unlock, unlockable, lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True,
                  reply="command_unlock.md.j2", codes=("not_locked",), order=90)
