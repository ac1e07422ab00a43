"""Path ownership's hand-over: when a work order stops holding its claim, the work orders that waited
for its scope start (:mod:`workorder.handlers.ownership`).

Who picks them up: the run whose loop released the claim, at its end (:func:`start_scope_waiters` from
:func:`workorder.handlers.session.run_work_order`), and the run of ``issues`` ``closed`` of the claimant.
A claim released without a loop ending in this run (``/wo abort`` or the ``blocked`` label on an order
whose loop is still stopping, a run that died) is picked up by the next of these events, by the next
milestone dispatch (a waiting order is ready again) or by ``/wo start`` on the waiting order: each
re-checks every claim before anything runs.
"""

from __future__ import annotations

from collections.abc import Callable

from ..loop.state import State
from .context import HandlerContext


def start_scope_waiters(ctx: HandlerContext, finished: int, load: Callable, run: Callable) -> list[int]:
    """Start the ``wo:waiting`` work orders whose recorded ``scope_blockers`` name ``finished`` (their
    loops run in this call; each re-checks its blockers and every claim first, so it may wait again).
    ``load(ctx, number, labels)`` is :meth:`workorder.handlers.session.Session.load` and ``run(session,
    issue)`` :func:`workorder.handlers.session.run_work_order` (passed in: session calls this). Returns
    the issue numbers started. Costs one listing plus one comment listing per waiting order (a started
    order's board row is rewritten by its next change or the next dispatch). Raises ForgeError."""
    if ctx.forge is None or ctx.loop_deps is None or ctx.config.ownership == "off":
        return []
    forge = ctx.forge
    started = []
    for issue in forge.list_issues(labels=(f"{ctx.config.label_prefix}{State.WAITING.value}",)):
        session = load(ctx, issue.number, issue.labels)
        if session.state is None or finished not in session.state.scope_blockers:
            continue
        run(session, forge.get_issue(issue.number))
        started.append(issue.number)
    return started
