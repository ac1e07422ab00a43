"""Reactions on the work order's pull request: change-request reviews and pushes by people. Each
handler's route parts (target, plan, refusal) sit beside it; :mod:`workorder.handlers.router` applies them."""

from __future__ import annotations

from typing import Any

from . import route
from ..contracts.config import RepoConfig
from ..contracts.events import PullRequestEvent, PullRequestPayload, PullRequestReviewEvent, User
from .outcome import Outcome
from ..inputs.problems import InvalidInput
from ..loop.outbox import PostComment
from .route import issue_of_pull_request
from ..contracts.workorder import parse_work_order_body
from .comment import answer_waiting
from .commands import fix_refusal
from .context import HandlerContext, PermissionCheck, Skip, ignored, refused
from .milestones import board_view, refresh_board
from .pr_thread import pr_comments
from .session import Session, run_work_order, order_refusal


def is_fork(pull_request: Any) -> bool:
    """:func:`workorder.handlers.route.is_fork` for the validated payload model too (``PullRequestPayload``)."""
    if isinstance(pull_request, PullRequestPayload):
        pull_request = pull_request.model_dump(exclude_unset=True)
    return route.is_fork(pull_request)


def _pr_target(pr: PullRequestPayload, config: RepoConfig) -> int | Skip:
    """The work order issue of ``pr`` from its head branch; refused for a fork's PR, ignored when
    the branch is not a work order's."""
    if is_fork(pr):
        return refused("fork_pull_request", pr=pr.number)
    number = issue_of_pull_request(pr.head.ref, None, config.branch_prefix)
    return ignored("not_work_order_pr") if number is None else number


def _known_session(ctx: HandlerContext, number: int, pr: int) -> Session | None:
    """Issue ``number``'s session (one request) when its hidden state names pull request ``pr``; it
    knows the permissions the route has read."""
    session = Session.load(ctx, number, None)
    session.permissions.update(ctx.permissions)
    return session if session.state is not None and session.state.pr_number == pr else None


def review_actors(event: PullRequestReviewEvent) -> tuple[User, ...]:
    """Whose being a bot means ignore: the reviewer and the sender."""
    return (event.review.user, event.sender)


def review_target(event: PullRequestReviewEvent, ctx: HandlerContext) -> int | Skip:
    """The route's target: the work order issue of a change-request review on its PR; other review
    states are ignored, a fork's PR refused."""
    if event.review.state.lower() != "changes_requested":
        return ignored("review_not_changes", review_state=event.review.state)
    return _pr_target(event.pull_request, ctx.config)


def reviewer_login(event: PullRequestReviewEvent) -> str:
    """Who must have the configured permission: the reviewer."""
    return event.review.user.login


def plan_review(event: PullRequestReviewEvent, ctx: HandlerContext, number: int) -> Outcome:
    """The dry-run plan of a change-request review: a corrective cycle from it (no API calls)."""
    return ctx.outcome("pull_request_review", event.action, "plan", "would_fix_from_review", issue_number=number,
                       steps=[{"step": "check_permission", "sender": event.review.user.login},
                              {"step": "corrective_cycle", "from_review": event.review.id}])


def _refuse_review(event: PullRequestReviewEvent, session: Session, code: str, permission: str) -> Outcome:
    """Queue the reply ``review_refused.md.j2`` on the PR (one request) and return refused ``code``."""
    ctx, cfg = session.ctx, session.ctx.config
    reviewer = event.review.user.login
    state_name = session.current.value if session.current else "none"
    ctx.outbox.queue(PostComment(event.pull_request.number, ctx.templates.render(
        "review_refused.md.j2", reviewer=reviewer, code=code, minimum=cfg.min_permission, state=state_name)))
    return ctx.outcome("pull_request_review", event.action, "refused", code, issue_number=session.number,
                       sender=reviewer, permission=permission, minimum=cfg.min_permission, state_name=state_name)


def refuse_review(event: PullRequestReviewEvent, ctx: HandlerContext, number: int, check: PermissionCheck) -> Outcome:
    """The reviewer lacks the permission (or it could not be read): on the work order's own PR,
    reply on the PR and refuse ``permission``; on any other PR, ignored ``not_work_order_pr``."""
    session = _known_session(ctx, number, event.pull_request.number)
    if session is None:
        return ctx.outcome("pull_request_review", event.action, "ignored", "not_work_order_pr", issue_number=number)
    return _refuse_review(event, session, "permission", check.permission or "unknown")


def handle_review_submitted(event: PullRequestReviewEvent, ctx: HandlerContext, number: int) -> Outcome:
    """A permitted person requested changes on work order ``number``'s PR (the route has checked
    bots, the review state, forks and the reviewer's permission): run a human-driven corrective
    cycle whose corrective prompt is the review body plus each inline comment (path:line: text).
    A fix that is not possible now gets a short reply on the PR."""
    pr = event.pull_request
    session = _known_session(ctx, number, pr.number)
    if session is None:
        return ctx.outcome("pull_request_review", event.action, "ignored", "not_work_order_pr", issue_number=number)
    reviewer = event.review.user.login
    refusal = fix_refusal(session) or ("state_tampered" if session.tampered() else None)
    if refusal:
        return _refuse_review(event, session, refusal, session.permissions.get(reviewer, "unknown"))
    inline = session.forge.list_review_comments(pr.number, event.review.id)
    notes = ctx.templates.render("review_notes.md.j2", body=event.review.body or "", comments=inline, reviewer=reviewer)
    before = board_view(session.state)
    issue = session.forge.get_issue(number)
    result = run_work_order(session, issue, mode="fix", notes=notes)
    refresh_board(ctx, number, before, result.state, issue)
    answer_waiting(session, pr_comments(session, pr.number))  # commands on the issue and PR whose runs GitHub dropped
    return Outcome(event="pull_request_review", action=event.action, decision="done", reason_code="ran",
                   reason=ctx.reason("ran", state_name=result.state.state.value), issue=number, state=result.state)


def push_target(event: PullRequestEvent, ctx: HandlerContext) -> int | Skip:
    """The route's target: the work order issue of the pushed PR (a fork's PR is refused)."""
    return _pr_target(event.pull_request, ctx.config)


def plan_synchronize(event: PullRequestEvent, ctx: HandlerContext, number: int) -> Outcome:
    """The dry-run plan of a push: verdict status pending, gates on the new head (no API calls)."""
    return ctx.outcome("pull_request", event.action, "plan", "would_review_push", issue_number=number,
                       steps=[{"step": "commit_status_pending", "sha": event.pull_request.head.sha},
                              {"step": "po_gates_on_head"}])


def _push_ignored(event: PullRequestEvent, ctx: HandlerContext, number: int) -> tuple[Session | None, Outcome | None]:
    """Issue ``number``'s session (one request), or why the push is ignored: not the work order's
    PR, or a head already reviewed (a re-run)."""
    pr = event.pull_request
    session = _known_session(ctx, number, pr.number)
    if session is None:
        return None, ctx.outcome("pull_request", event.action, "ignored", "not_work_order_pr", issue_number=number)
    if pr.head.sha and pr.head.sha == session.state.head_sha:
        return None, ctx.outcome("pull_request", event.action, "ignored", "already_reviewed", issue_number=number)
    return session, None


def refuse_push(event: PullRequestEvent, ctx: HandlerContext, number: int, check: PermissionCheck) -> Outcome:
    """The pusher lacks the permission: ignored as the handler would ignore it (see
    :func:`_push_ignored`), else refused ``permission``."""
    _, ignored_outcome = _push_ignored(event, ctx, number)
    return ignored_outcome or ctx.outcome(
        "pull_request", event.action, "refused", "permission", issue_number=number, sender=check.login,
        permission=check.permission or "none", minimum=ctx.config.min_permission)


def handle_synchronize(event: PullRequestEvent, ctx: HandlerContext, number: int) -> Outcome:
    """Someone permitted pushed to work order ``number``'s branch (the route has checked bots,
    forks and the pusher's permission): the verdict status goes back to pending, approvals of the
    old head stop counting, and the gates (not the agent) run on the new head for a new verdict."""
    session, ignored_outcome = _push_ignored(event, ctx, number)
    if session is None:
        return ignored_outcome
    state = session.state
    issue = session.forge.get_issue(number)
    refusal = order_refusal(session, issue, "fix")  # a push re-runs the locked order's verify commands
    if refusal is not None:
        return ctx.outcome("pull_request", event.action, "refused", refusal, issue_number=number)
    try:
        order = parse_work_order_body(issue.body)
    except InvalidInput:
        return ctx.outcome("pull_request", event.action, "ignored", "invalid_work_order", issue_number=number, count=1)
    before = board_view(state)
    final = session.loop(issue, order).review_head(state)
    refresh_board(ctx, number, before, final, issue)
    session.state = final
    pr = event.pull_request  # its comment count says whether the PR has comments to look at
    answer_waiting(session, pr_comments(session, pr.number, pr.comments))  # the issue's and PR's dropped commands
    return Outcome(event="pull_request", action=event.action, decision="done", reason_code="ran",
                   reason=ctx.reason("ran", state_name=final.state.value), issue=number, state=final)
