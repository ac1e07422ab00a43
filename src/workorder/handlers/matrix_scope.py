"""Path ownership in a milestone's matrix dispatch (:mod:`workorder.handlers.ownership`): the ready work
orders that overlap a running one, or one the same matrix starts, are left out of the matrix."""

from __future__ import annotations

from ..contracts.forge import Issue
from ..contracts.workorder import parse_work_order_body
from ..loop.state import TrackingState
from .context import HandlerContext
from .ownership import split_by_scope, wait_for_scope
from .session import Session


def defer_overlapping(ctx: HandlerContext, ready: list[int], issues: dict[int, Issue],
                      fresh: dict[int, TrackingState]) -> tuple[list[int], dict[int, list[int]]]:
    """Split the milestone's ``ready`` work orders (``issues`` by number, valid work orders) into the
    matrix and the deferred ones (:func:`workorder.handlers.ownership.split_by_scope`). With
    ``ownership: wait`` a deferred order is labelled ``wo:waiting`` naming the orders it overlaps (the
    first of them to stop starts it); with ``refuse`` it is only left out. Records the states it set in
    ``fresh``. Returns (matrix, {deferred: blockers}). Raises ForgeError."""
    orders = {n: parse_work_order_body(issues[n].body) for n in ready}
    matrix, deferred = split_by_scope(ctx, ready, orders)
    if ctx.config.ownership == "wait":
        for n, blockers in deferred.items():
            fresh[n] = wait_for_scope(Session.load(ctx, n, issues[n].labels), orders[n], blockers)
    return matrix, deferred
