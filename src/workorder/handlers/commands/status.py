"""``/wo status``: refresh the tracking comment and say where the work order stands."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult, summary

VERB = "status"
LANE = "now"
ACKNOWLEDGED = False


def cmd_status(call: CommandCall) -> CommandResult:
    """Republish the tracking comment (free when it is up to date) and reply with the state and the
    commands legal now."""
    session = call.session
    if session.state is not None:
        session.publish(session.state)  # costs nothing when the comment is up to date
    legal = [c for c in call.commands if c.verb not in ("help", VERB) and c.refusal(session) is None]
    return CommandResult(True, "status", {**summary(session), "legal": legal,
                                          "prefix": session.ctx.config.command_prefix})


COMMAND = Command(VERB, "status", "refresh the tracking comment and reply with where the work order stands",
                  ("/wo status",), "read", None, cmd_status, lane=LANE, acknowledged=ACKNOWLEDGED,
                  reply="command_status.md.j2", codes=("status",), order=20)
