"""``/wo budget``: a maintainer lets the work order's next run go past its own budget and the daily cap."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult
from ..session import Session

VERB = "budget"
LANE = "loop"
ACKNOWLEDGED = True


def over_budget(session: Session) -> str | None:
    """None once the work order has a state and no override waiting, else ``not_started`` or
    ``budget_already_lifted`` (a PASS over budget keeps its state, so the stop need not be ``budget_exhausted``)."""
    s = session.state
    if s is None:
        return "not_started"
    return "budget_already_lifted" if s.budget_override_by else None


def cmd_budget(call: CommandCall) -> CommandResult:
    """Record the comment's author as lifting the per-work-order and daily caps for the next run (kept in
    the tracking state, used up when that run starts: :mod:`workorder.handlers.budget_gate`)."""
    s = call.session.state
    assert s is not None
    if call.session.tampered():  # never republish a state that failed its check
        return CommandResult(False, "state_tampered")
    s.budget_override_by = call.comment.author
    call.session.publish(s)
    return CommandResult(True, "budget_lifted", {"by": call.comment.author})


COMMAND = Command(VERB, "budget", "maintainers: let the work order's next run go past its own budget and the daily "
                  "cap (after a budget_exhausted stop; then retry, fix or start it)", ("/wo budget",), "maintain",
                  None, cmd_budget, over_budget, lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True,
                  reply="command_budget.md.j2", codes=("budget_already_lifted", "budget_lifted", "not_started"), order=95)
