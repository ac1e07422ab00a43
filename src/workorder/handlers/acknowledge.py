"""The 👀 acknowledgement of a command comment, first thing in the run that handles it.

Commands whose row says ``acknowledged`` (those that start work or change the merge gate: start,
fix, retry, answer, unlock, approve, abort) get an ``eyes`` reaction before anything else is read or
done; ``help`` and ``status`` answer at once instead. The route step has usually added it already,
within seconds of the comment (:mod:`workorder.handlers.route_reaction`); GitHub answers a second
identical reaction with 200, so this one costs a request and changes nothing then. The reaction is
best effort: a refused or failed request is not an error of the command (its reply says what
happened).
"""

from __future__ import annotations

from .slash import parse_commands
from ..contracts.events import IssueCommentEvent
from ..contracts.forge import ForgeError
from ..loop.outbox import AddReaction, Outbox
from .commands import registry
from .context import HandlerContext

REACTION = "eyes"


def acknowledged_verbs() -> frozenset[str]:
    """The verbs whose command row says ``acknowledged``."""
    return frozenset(c.verb for c in registry() if c.acknowledged)


def acknowledge(event: IssueCommentEvent, ctx: HandlerContext, outbox: Outbox | None = None) -> bool:
    """Add :data:`REACTION` to the event's comment (through ``outbox``, written at once) when one of
    its commands is acknowledged. Returns True when the reaction was added; never raises ForgeError."""
    verbs = {c.verb for c in parse_commands(event.comment.body, ctx.config.command_prefix)}
    if ctx.forge is None or not verbs & acknowledged_verbs():
        return False
    try:
        (outbox or Outbox(ctx.forge)).write_now(AddReaction(event.issue.number, event.comment.id, REACTION))
    except ForgeError:
        return False
    return True
