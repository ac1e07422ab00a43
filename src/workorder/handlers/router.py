"""(event, action) → route: the one explicit list of what workorder reacts to, and the one preamble
every handler gets from its route.

:func:`dispatch` applies a route's parts in one order: validate the payload (``model``) → ``when``
(else the next route) → bots (``actors``: whose being a bot means "ignore") → ``target`` (the work
order issue, or a :class:`~workorder.handlers.context.Skip`; payload and config only, no API call) →
dry run (``plan``, when ``ctx.dry_run`` or there is no forge) → ``permission`` (the login that must
have the config's ``min_permission``; one request; ``refuse`` words the refusal, an API error fails
closed) → ``handler(event, ctx, target)``. Each handler module keeps its parts beside its handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ..contracts.config import RepoConfig
from ..contracts.events import (
    DispatchEvent,
    IssueCommentEvent,
    IssuesEvent,
    PullRequestEvent,
    PullRequestReviewEvent,
    User,
    is_bot,
)
from . import comment, edited, labeled, milestones, pull_request
from .context import HandlerContext, PermissionCheck, Skip, check_permission
from .outcome import Outcome
from ..inputs.problems import problems_from_validation_error

Target = Any  # int (the work order issue), None (no single issue), or a Skip
Handler = Callable[[Any, HandlerContext, Any], Outcome]


def _always(event: Any, config: RepoConfig) -> bool:
    return True


def _sender(event: Any) -> tuple[User, ...]:
    return (event.sender,)


def _sender_login(event: Any) -> str:
    return event.sender.login


def _no_permission(event: Any) -> str | None:
    return None


def _issue_of_payload(event: Any) -> int | None:
    issue = getattr(event, "issue", None)
    return issue.number if issue is not None else None


@dataclass(frozen=True)
class Route:
    """A handler for ``event`` with one of ``actions``, and the preamble :func:`dispatch` runs first.

    model: the payload's schema. handler(event, ctx, target) and plan(event, ctx, target) → Outcome.
    target(event, ctx) → the work order issue number, None, or a Skip (no API calls; by default the
    payload's issue). actors(event): the users whose being a bot means ignore (default the sender). permission(event): the login that needs the config's
    ``min_permission`` (None: the handler checks per command). refuse(event, ctx, target, check):
    the refusal (None: a ``refused``/``permission`` outcome). when(event, config): whether this route
    takes the event (else the next one does). subject(event): the issue named in early outcomes.
    reports_as: the event name outcomes carry (default ``event``).
    """

    event: str
    actions: frozenset[str | None]
    model: type[BaseModel]
    handler: Handler
    plan: Handler
    target: Callable[[Any, HandlerContext], Target] = lambda event, ctx: _issue_of_payload(event)
    actors: Callable[[Any], tuple[User, ...]] = _sender
    permission: Callable[[Any], str | None] = _no_permission
    refuse: Callable[[Any, HandlerContext, Target, PermissionCheck], Outcome] | None = None
    when: Callable[[Any, RepoConfig], bool] = _always
    subject: Callable[[Any], int | None] = _issue_of_payload
    reports_as: str | None = None


ROUTES: tuple[Route, ...] = (
    Route("issues", frozenset({"labeled"}), IssuesEvent, labeled.start_work_order, labeled.plan_start,
          permission=_sender_login, refuse=labeled.refuse_trigger,
          when=labeled.is_trigger_label),
    Route("issues", frozenset({"labeled", "unlabeled"}), IssuesEvent, labeled.guard_state_label, labeled.plan_guard,
          target=labeled.state_label_target),
    Route("issues", frozenset({"edited"}), IssuesEvent, edited.handle_issue_edited, edited.plan_lock_check),
    Route("issues", frozenset({"closed"}), IssuesEvent, milestones.handle_issue_closed, milestones.plan_dependents,
          permission=_sender_login),
    Route("workflow_dispatch", frozenset({None}), DispatchEvent, milestones.handle_dispatch, milestones.plan_dispatch,
          target=milestones.dispatch_target, permission=_sender_login),
    Route("issue_comment", frozenset({"edited"}), IssueCommentEvent, comment.handle_issue_comment, comment.plan_commands,
          target=comment.edited_target, actors=lambda event: ()),
    Route("issue_comment", frozenset({"created"}), IssueCommentEvent, comment.handle_issue_comment, comment.plan_commands,
          target=comment.comment_target, actors=comment.actors),
    Route("pull_request_review", frozenset({"submitted"}), PullRequestReviewEvent, pull_request.handle_review_submitted,
          pull_request.plan_review, target=pull_request.review_target, actors=pull_request.review_actors,
          permission=pull_request.reviewer_login, refuse=pull_request.refuse_review),
    Route("pull_request", frozenset({"synchronize"}), PullRequestEvent, pull_request.handle_synchronize,
          pull_request.plan_synchronize, target=pull_request.push_target, permission=_sender_login,
          refuse=pull_request.refuse_push),
    Route("pull_request_target", frozenset({"synchronize"}), PullRequestEvent, pull_request.handle_synchronize,
          pull_request.plan_synchronize, target=pull_request.push_target, permission=_sender_login,
          refuse=pull_request.refuse_push, reports_as="pull_request"),
)


def dispatch(event_name: str, payload: Any, ctx: HandlerContext, routes: tuple[Route, ...] = ROUTES) -> Outcome:
    """Handle one event. Takes the event name (``$GITHUB_EVENT_NAME``) and its parsed JSON payload.

    Returns the route's :class:`Outcome` (see :func:`run_route`), or an ``ignored`` outcome naming
    why (no route for this event/action, or a payload that is not what GitHub sends, with the bad
    field). Never raises for bad input.
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
        if route.when(event, ctx.config):
            return run_route(route, event, action, ctx)
    return ctx.outcome(event_name, action, "ignored", "no_handler")


def run_route(route: Route, event: Any, action: str | None, ctx: HandlerContext) -> Outcome:
    """Run ``route``'s preamble on the validated ``event``, then its handler.

    Order: bots → target → dry-run plan → permission (one ``collaborator_permission`` request) →
    handler. Returns the first of them that decides: ``ignored``/``bot_sender``, the target's Skip,
    the plan, the refusal, or the handler's outcome. Makes no API call before the permission check.
    """
    cfg = ctx.config
    name = route.reports_as or route.event

    def stop(skip: Skip) -> Outcome:
        issue = skip.issue if skip.issue is not None else route.subject(event)
        return ctx.outcome(name, action, skip.decision, skip.code, issue_number=issue, **skip.values)

    if any(is_bot(user, ctx.bot_login, cfg.allowed_bots) for user in route.actors(event)):
        return stop(Skip("ignored", "bot_sender", {"sender": event.sender.login}))
    target = route.target(event, ctx)
    if isinstance(target, Skip):
        return stop(target)
    if ctx.dry_run or ctx.forge is None:
        return route.plan(event, ctx, target)
    login = route.permission(event)
    if login is not None:
        check = check_permission(ctx.forge, login, cfg.min_permission)
        if check.permission is not None:
            ctx.permissions[login] = check.permission
        if not check.granted:
            if route.refuse is not None:
                return _flushed(ctx, lambda: route.refuse(event, ctx, target, check))
            return stop(Skip("refused", "permission", {"sender": login, "permission": check.permission or "none",
                                                      "minimum": cfg.min_permission}, issue=target))
    return _flushed(ctx, lambda: route.handler(event, ctx, target))


def _flushed(ctx: HandlerContext, step: Callable[[], Outcome]) -> Outcome:
    """Run ``step`` (a handler or a refusal), then write what it queued on ``ctx.outbox``, in order: the one
    place a handler's last writes reach GitHub. Returns its outcome; raises what the step raises (a handler
    flushes before anything that can fail, so nothing it queued waits behind an error) or the forge's
    error of a write (the write stays queued; a re-run reconciles, as after a kill)."""
    outcome = step()
    ctx.outbox.flush()
    return outcome
