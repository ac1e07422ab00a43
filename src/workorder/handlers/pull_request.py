"""Reactions on the work order's pull request: change-request reviews and pushes by people."""

from __future__ import annotations

from ..events import PullRequestEvent, PullRequestReviewEvent, is_bot
from ..outcome import Outcome
from ..problems import InvalidInput
from ..workorder import parse_work_order_body
from .commands import fix_refusal
from .context import HandlerContext
from .session import Session, issue_of_pull_request, run_work_order


def handle_review_submitted(event: PullRequestReviewEvent, ctx: HandlerContext) -> Outcome:
    """A permitted person requested changes on a work order's PR: run a human-driven corrective
    cycle whose corrective prompt is the review body plus each inline comment (path:line: text).
    Other review states are ignored; a refused reviewer gets a short reply on the PR."""
    cfg = ctx.config
    pr = event.pull_request

    def out(decision: str, code: str, issue: int | None = None, **values: object) -> Outcome:
        return ctx.outcome("pull_request_review", event.action, decision, code, issue_number=issue, **values)

    if is_bot(event.review.user, ctx.bot_login, cfg.allowed_bots) or is_bot(event.sender, ctx.bot_login, cfg.allowed_bots):
        return out("ignored", "bot_sender", sender=event.sender.login)
    if event.review.state.lower() != "changes_requested":
        return out("ignored", "review_not_changes", review_state=event.review.state)
    number = issue_of_pull_request(pr.head.ref, None, cfg.branch_prefix)
    if number is None:
        return out("ignored", "not_work_order_pr")
    if ctx.dry_run or ctx.forge is None:
        return out("plan", "would_fix_from_review", issue=number,
                   steps=[{"step": "check_permission", "sender": event.review.user.login},
                          {"step": "corrective_cycle", "from_review": event.review.id}])
    session = Session.load(ctx, number, None)
    if session.state is None or session.state.pr_number != pr.number:
        return out("ignored", "not_work_order_pr", issue=number)
    reviewer = event.review.user.login
    refusal = None if session.may(reviewer, cfg.min_permission) else "permission"
    refusal = refusal or fix_refusal(session)
    if refusal:
        session.forge.create_comment(pr.number, ctx.templates.render(
            "review_refused.md.j2", reviewer=reviewer, code=refusal, minimum=cfg.min_permission,
            state=session.current.value if session.current else "none"))
        return out("refused", refusal, issue=number)
    inline = session.forge.list_review_comments(pr.number, event.review.id)
    notes = ctx.templates.render("review_notes.md.j2", body=event.review.body or "", comments=inline, reviewer=reviewer)
    result = run_work_order(session, session.forge.get_issue(number), mode="fix", notes=notes)
    return Outcome(event="pull_request_review", action=event.action, decision="done", reason_code="ran",
                   reason=ctx.reason("ran", state_name=result.state.state.value), issue=number, state=result.state)


def handle_synchronize(event: PullRequestEvent, ctx: HandlerContext) -> Outcome:
    """Someone pushed to a work order's branch: the verdict status goes back to pending, approvals of
    the old head stop counting, and the gates (not the agent) run on the new head for a new verdict."""
    cfg = ctx.config
    pr = event.pull_request

    def out(decision: str, code: str, issue: int | None = None, **values: object) -> Outcome:
        return ctx.outcome("pull_request", event.action, decision, code, issue_number=issue, **values)

    if is_bot(event.sender, ctx.bot_login, cfg.allowed_bots):
        return out("ignored", "bot_sender", sender=event.sender.login)
    number = issue_of_pull_request(pr.head.ref, None, cfg.branch_prefix)
    if number is None:
        return out("ignored", "not_work_order_pr")
    if ctx.dry_run or ctx.forge is None:
        return out("plan", "would_review_push", issue=number,
                   steps=[{"step": "commit_status_pending", "sha": pr.head.sha}, {"step": "po_gates_on_head"}])
    session = Session.load(ctx, number, None)
    state = session.state
    if state is None or state.pr_number != pr.number:
        return out("ignored", "not_work_order_pr", issue=number)
    if pr.head.sha and pr.head.sha == state.head_sha:
        return out("ignored", "already_reviewed", issue=number)
    if not session.may(event.sender.login, cfg.min_permission):
        return out("refused", "permission", issue=number, sender=event.sender.login, permission="too little",
                   minimum=cfg.min_permission)
    issue = session.forge.get_issue(number)
    try:
        order = parse_work_order_body(issue.body)
    except InvalidInput:
        return out("ignored", "invalid_work_order", issue=number, count=1)
    final = session.loop(issue, order).review_head(state)
    return Outcome(event="pull_request", action=event.action, decision="done", reason_code="ran",
                   reason=ctx.reason("ran", state_name=final.state.value), issue=number, state=final)
