"""``issues`` ``edited``: the work order lock. An edit that changes the parsed work order stops the
loop (now, or at the running loop's next phase boundary); ``/wo unlock`` restarts from the new
order. Edits that change nothing parsed (typos in free text) do nothing. An edit by someone without
the configured permission, once the trigger label is on (even before the labeled run read the
issue), is refused with a reply: it never runs (:mod:`workorder.handlers.order_lock`)."""

from __future__ import annotations

from ..contracts.events import IssuesEvent
from .outcome import Outcome
from ..inputs.problems import InvalidInput
from ..loop.outbox import PostComment
from ..loop.state import INTERRUPTED, Failure, Handoff, State
from ..contracts.workorder import parse_work_order_body
from .context import HandlerContext
from .milestones import board_view, refresh_board
from .session import Session


def _new_hash(event: IssuesEvent) -> str | None:
    try:
        return parse_work_order_body(event.issue.body).content_hash()
    except InvalidInput:
        return None


def plan_lock_check(event: IssuesEvent, ctx: HandlerContext, n: int) -> Outcome:
    """The dry-run plan: compare the edited work order's hash with the locked one (no API calls)."""
    return ctx.outcome("issues", event.action, "plan", "would_check_lock", issue_number=n,
                       steps=[{"step": "compare_work_order_hash", "new_hash": _new_hash(event)}])


def handle_issue_edited(event: IssuesEvent, ctx: HandlerContext, n: int) -> Outcome:
    """Check an edit of work order ``n`` against the hash locked when work started (the route has
    ignored bots). Returns what was done."""

    def out(decision: str, code: str, **values: object) -> Outcome:
        return ctx.outcome("issues", event.action, decision, code, issue_number=n, **values)

    new_hash = _new_hash(event)
    labels = tuple(label.name for label in event.issue.labels)
    session = Session.load(ctx, n, labels)
    state = session.state
    started = state is not None and state.work_order_hash is not None
    if not started and ctx.config.trigger not in labels:
        return out("ignored", "not_started")
    if state is not None and started and new_hash == state.work_order_hash:
        return out("ignored", "edit_unchanged")
    permitted = session.may(event.sender.login, ctx.config.min_permission)
    if not permitted:
        refuse_edit(event, ctx, session, n)
        ctx.outbox.flush()  # the reply lands before the lock is published, as it always did
    refused = out("refused", "edit_not_permitted", sender=event.sender.login, minimum=ctx.config.min_permission)
    if state is None or state.work_order_hash is None:
        return refused if not permitted else out("ignored", "not_started")  # the labeled run reads its payload
    if state.lock_broken:
        return refused if not permitted else out("ignored", "already_locked")
    if state.state in INTERRUPTED:
        return refused if not permitted else out("ignored", "loop_will_stop")  # stops at its next boundary
    before = board_view(state)
    state.lock_broken = True
    state.failure = Failure(kind="work_order_edited", detail="the work order was edited after work started")
    state.handoff = Handoff(reason="work_order_edited", pending=[f for f in state.findings if f.severity.value != "MINOR"])
    if state.state is not State.INVALID:
        session.tracker.set_state(state, State.BLOCKED, check=False)
    session.publish(state)
    refresh_board(ctx, n, before, state)
    if not permitted:
        return refused
    ctx.outbox.queue(PostComment(n, ctx.templates.render("lock_broken.md.j2", sender=event.sender.login,
                                                         prefix=ctx.config.command_prefix)))
    return out("done", "locked")


def refuse_edit(event: IssuesEvent, ctx: HandlerContext, session: Session, n: int) -> None:
    """An edit of approved work order ``n`` by someone without the configured permission: it is not
    used (the labeled run reads the approved body, later runs refuse a body that does not hash to the
    lock, and a stopped loop is locked like after any edit); queues the reply ``edit_refused.md.j2`` on
    ``ctx.outbox``."""
    ctx.outbox.queue(PostComment(n, ctx.templates.render(
        "edit_refused.md.j2", sender=event.sender.login, minimum=ctx.config.min_permission,
        prefix=ctx.config.command_prefix)))
