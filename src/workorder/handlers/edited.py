"""``issues`` ``edited``: the work order lock. An edit that changes the parsed work order stops the
loop (now, or at the running loop's next phase boundary); ``/wo unlock`` restarts from the new
order. Edits that change nothing parsed (typos in free text) do nothing."""

from __future__ import annotations

from ..events import IssuesEvent, is_bot
from ..outcome import Outcome
from ..problems import InvalidInput
from ..state import INTERRUPTED, Failure, Handoff, State
from ..workorder import parse_work_order_body
from .context import HandlerContext
from .session import Session


def handle_issue_edited(event: IssuesEvent, ctx: HandlerContext) -> Outcome:
    """Check a work order edit against the hash locked when work started. Returns what was done."""
    n = event.issue.number

    def out(decision: str, code: str, **values: object) -> Outcome:
        return ctx.outcome("issues", event.action, decision, code, issue_number=n, **values)

    if is_bot(event.sender, ctx.bot_login, ctx.config.allowed_bots):
        return out("ignored", "bot_sender", sender=event.sender.login)
    try:
        new_hash = parse_work_order_body(event.issue.body).content_hash()
    except InvalidInput:
        new_hash = None
    if ctx.dry_run or ctx.forge is None:
        return out("plan", "would_check_lock", steps=[{"step": "compare_work_order_hash", "new_hash": new_hash}])
    session = Session.load(ctx, n, tuple(label.name for label in event.issue.labels))
    state = session.state
    if state is None or state.work_order_hash is None:
        return out("ignored", "not_started")
    if new_hash == state.work_order_hash:
        return out("ignored", "edit_unchanged")
    if state.lock_broken:
        return out("ignored", "already_locked")
    if state.state in INTERRUPTED:
        return out("ignored", "loop_will_stop")
    state.lock_broken = True
    state.failure = Failure(kind="work_order_edited", detail="the work order was edited after work started")
    state.handoff = Handoff(reason="work_order_edited", pending=[f for f in state.findings if f.severity.value != "MINOR"])
    if state.state is not State.INVALID:
        session.tracker.set_state(state, State.BLOCKED, check=False)
    session.publish(state)
    session.forge.create_comment(n, ctx.templates.render("lock_broken.md.j2", sender=event.sender.login,
                                                         prefix=ctx.config.command_prefix))
    return out("done", "locked")
