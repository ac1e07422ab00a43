"""``/wo help``: the commands, and which are legal now."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult, summary

VERB = "help"
LANE = "now"
ACKNOWLEDGED = False


def cmd_help(call: CommandCall) -> CommandResult:
    """Reply with every command (from the registry the run passes in) and those legal now."""
    session = call.session
    legal = [c for c in call.commands if c.verb != VERB and c.refusal(session) is None]
    return CommandResult(True, "help", {"commands": call.commands, "legal": legal, **summary(session),
                                        "prefix": session.ctx.config.command_prefix})


COMMAND = Command(VERB, "help", "list the commands and what is legal now", ("/wo help",), "read", None, cmd_help,
                  lane=LANE, acknowledged=ACKNOWLEDGED, reply="command_help.md.j2", codes=("help",), order=10)
