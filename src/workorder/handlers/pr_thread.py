"""The pull request's conversation for a run that no comment started (the trigger label, a push, a review).

Such a run answers, after its loop, the commands whose own runs GitHub dropped for it
(:func:`workorder.handlers.comment.answer_waiting`). The issue's comments it listed when it loaded; the
work order PR's comments it has not: this module lists them, after the loop (so replies posted meanwhile
are seen), and only when there can be something to answer there. #20 item 8.
"""

from __future__ import annotations

from ..contracts.forge import Comment
from .session import Session


def pr_comments(session: Session, pr: int | None, count: int | None = None) -> list[Comment] | None:
    """The comments of work order pull request ``pr``, oldest first, for ``answer_waiting``; or None, with
    no request, when there is nothing to read: no PR (``pr`` None, or no hidden state), a PR that is not
    the hidden state's (the run opened another one), or an event that says the PR has no comments
    (``count`` 0: ``pull_request.comments`` of a ``pull_request`` event, GitHub's count of its conversation
    comments when the event was sent; None when the event does not carry it, as a review's does not).
    Otherwise one listing (``GET /issues/{pr}/comments``, a conditional read). Raises ForgeError."""
    state = session.state
    if pr is None or state is None or state.pr_number != pr or count == 0:
        return None
    return session.forge.list_comments(pr)
