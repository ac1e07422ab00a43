"""``/wo override-scope``: a maintainer starts the work order although its in_scope overlaps a running one's
(path ownership, :mod:`workorder.handlers.ownership`)."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult, ran
from .start import startable
from ...loop.state import State
from ..session import run_work_order

VERB = "override-scope"
LANE = "loop"
ACKNOWLEDGED = True


def cmd_override_scope(call: CommandCall) -> CommandResult:
    """Run the work order with the comment's author recorded as overriding path ownership."""
    return ran(run_work_order(call.session, call.get_issue(), command_id=call.comment.id,
                              override_scope=call.comment.author))


COMMAND = Command(VERB, "override-scope", "start the work order although its in_scope overlaps a running one's "
                  "(path ownership)", ("/wo override-scope",), "maintain", State.RUNNING, cmd_override_scope,
                  startable, lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True, order=97)
