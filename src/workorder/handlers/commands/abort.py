"""``/wo abort``: stop the loop; the branch and PR stay."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult
from ...loop.state import Handoff, State
from ..session import Session

VERB = "abort"
LANE = "now"
ACKNOWLEDGED = True


def abortable(session: Session) -> str | None:
    """None once the work order has started, else ``not_started``."""
    return "not_started" if session.state is None else None


def cmd_abort(call: CommandCall) -> CommandResult:
    """Block the work order with a handoff of its open findings."""
    session = call.session
    s = session.state
    assert s is not None
    s.handoff = Handoff(reason="aborted", pending=[f for f in s.findings if f.severity.value != "MINOR"])
    session.tracker.set_state(s, State.BLOCKED)
    session.publish(s)
    return CommandResult(True, "aborted", {"branch": s.branch})


COMMAND = Command(VERB, "abort", "stop the loop; the branch and PR stay", ("/wo abort",), "config", State.BLOCKED,
                  cmd_abort, abortable, lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True,
                  reply="command_abort.md.j2", codes=("aborted", "not_started"), order=70)
