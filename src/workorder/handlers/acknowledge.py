"""The 👀 acknowledgement of a command comment, first thing in the run that handles it.

Commands that start work or change the merge gate (the loop lane's verbs, :data:`workorder.handlers.route.LOOP_VERBS`,
and ``approve`` / ``abort``) get an ``eyes`` reaction before anything else is read or done, so the
person sees at once that the command arrived; ``help`` and ``status`` answer at once instead. The
reaction is best effort: a refused or failed request is not an error of the command (its reply says
what happened).
"""

from __future__ import annotations

from .slash import parse_commands
from ..contracts.events import IssueCommentEvent
from ..contracts.forge import ForgeError
from .route import LOOP_VERBS
from .context import HandlerContext

ACKNOWLEDGED_VERBS = LOOP_VERBS | {"approve", "abort"}
REACTION = "eyes"


def acknowledge(event: IssueCommentEvent, ctx: HandlerContext) -> bool:
    """Add :data:`REACTION` to the event's comment when one of its commands is in
    :data:`ACKNOWLEDGED_VERBS`. Returns True when the reaction was added; never raises ForgeError."""
    verbs = {c.verb for c in parse_commands(event.comment.body, ctx.config.command_prefix)}
    if ctx.forge is None or not verbs & ACKNOWLEDGED_VERBS:
        return False
    try:
        ctx.forge.add_reaction(event.issue.number, event.comment.id, REACTION)
    except ForgeError:
        return False
    return True
