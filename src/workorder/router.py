"""(event, action) → handler: the one explicit list of what workorder reacts to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from .events import DispatchEvent, IssueCommentEvent, IssuesEvent, PullRequestEvent, PullRequestReviewEvent
from .handlers.comment import handle_issue_comment
from .handlers.edited import handle_issue_edited
from .handlers.pull_request import handle_review_submitted, handle_synchronize
from .handlers.context import HandlerContext
from .handlers.labeled import handle_issue_labeled
from .handlers.milestones import handle_dispatch, handle_issue_closed
from .outcome import Outcome
from .problems import problems_from_validation_error


@dataclass(frozen=True)
class Route:
    """A handler for ``event`` with one of ``actions``; the payload is validated as ``model`` first."""

    event: str
    actions: frozenset[str]
    model: type[BaseModel]
    handler: Callable[[Any, HandlerContext], Outcome]


ROUTES: tuple[Route, ...] = (
    Route("issues", frozenset({"labeled", "unlabeled"}), IssuesEvent, handle_issue_labeled),
    Route("issues", frozenset({"edited"}), IssuesEvent, handle_issue_edited),
    Route("issues", frozenset({"closed"}), IssuesEvent, handle_issue_closed),
    Route("workflow_dispatch", frozenset({None}), DispatchEvent, handle_dispatch),
    Route("issue_comment", frozenset({"created", "edited"}), IssueCommentEvent, handle_issue_comment),
    Route("pull_request_review", frozenset({"submitted"}), PullRequestReviewEvent, handle_review_submitted),
    Route("pull_request", frozenset({"synchronize"}), PullRequestEvent, handle_synchronize),
    Route("pull_request_target", frozenset({"synchronize"}), PullRequestEvent, handle_synchronize),
)


def dispatch(event_name: str, payload: Any, ctx: HandlerContext, routes: tuple[Route, ...] = ROUTES) -> Outcome:
    """Handle one event. Takes the event name (``$GITHUB_EVENT_NAME``) and its parsed JSON payload.

    Returns the handler's :class:`Outcome`, or an ``ignored`` outcome naming why (no handler for this
    event/action, or a payload that is not what GitHub sends, with the bad field). Never raises for
    bad input.
    """
    action = payload.get("action") if isinstance(payload, dict) else None
    action = action if isinstance(action, str) else None
    for route in routes:
        if route.event != event_name or action not in route.actions:
            continue
        try:
            event = route.model.model_validate(payload)
        except ValidationError as exc:
            problems = problems_from_validation_error(exc, route.model)
            detail = "; ".join(f"{p.field} {p.message}" for p in problems)
            return ctx.outcome(event_name, action, "ignored", "bad_payload", detail=detail,
                               problems=[p.model_dump() for p in problems])
        return route.handler(event, ctx)
    return ctx.outcome(event_name, action, "ignored", "no_handler")
