"""The caps across runs around one loop run: the per-work-order budget and the repository's daily cap
(``budgets.order_*`` and ``budgets.daily_*``, :mod:`workorder.loop.budgets`).

Before the run: the work order's total so far (``TrackingState.order_usage``) and, with a daily cap, the
day's total from the spend ledger (:mod:`workorder.handlers.spend_ledger`) are handed to the run's budget,
which checks them after every SE phase; a cap already spent stops the work order as ``budget_exhausted``
(state blocked) before any agent runs, whatever started it (the trigger label, ``/wo start``, ``/wo fix``,
``/wo retry``). A maintainer's ``/wo budget`` (``TrackingState.budget_override_by``) lifts the caps for the
next run only. After the run: with a daily cap, what the run spent is added to the work order's entry of
the day on the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ..contracts.forge import ForgeError
from ..loop.budgets import RunBudget, caps_spent, exhausted_text
from ..loop.state import Failure, Handoff, State, TrackingState
from ..presets import Usage
from .spend_ledger import Ledger, read_ledger, record_spend


class Session(Protocol):
    """What this module uses of :class:`workorder.handlers.session.Session` (which imports this module)."""

    ctx: Any
    tracker: Any

    @property
    def forge(self) -> Any: ...

    def publish(self, state: TrackingState) -> None: ...


BUDGET_EXHAUSTED = "budget_exhausted"


def utc_now() -> datetime:
    """Now, timezone-aware UTC (the day of the daily caps)."""
    return datetime.now(UTC)


@dataclass
class SpendCheck:
    """What :func:`before_run` read: the work order's usage before the run, the UTC ``day``, the month's
    ``ledger`` (None without a daily cap), and ``refusal``: the words of a spent cap, or None."""

    order_before: Usage
    day: str
    ledger: Ledger | None
    refusal: str | None = None


def before_run(session: Session, state: TrackingState, budget: RunBudget,
               now: Callable[[], datetime] = utc_now) -> SpendCheck:
    """Hand the caps' totals to the run's ``budget`` and say whether a cap is already spent. A maintainer's
    override recorded in ``state`` lifts the caps for this run and is used up (cleared). Reads the spend
    ledger only with a daily cap (one listing of the ledger issues, one of the month's comments).
    Raises ForgeError when the ledger cannot be read."""
    ctx = session.ctx
    limits = ctx.config.budgets
    day = now().date().isoformat()
    ledger = read_ledger(session.forge, ctx.bot_login, ctx.config.label_prefix, day[:7]) if limits.daily else None
    check = SpendCheck(order_before=state.order_usage.model_copy(), day=day, ledger=ledger)
    budget.order_before = check.order_before
    budget.day_before = ledger.total(day) if ledger is not None else None
    if state.budget_override_by:
        budget.lifted = True
        state.budget_override_by = None
        return check
    kind = caps_spent(limits, budget.order_before, budget.day_before)
    if kind is not None:
        check.refusal = exhausted_text(ctx.templates, kind, limits, budget.order_before, budget.day_before)
    return check


def stop_over_budget(session: Session, state: TrackingState, refusal: str) -> None:
    """Stop the work order before any agent runs: state blocked, failure ``budget_exhausted`` with ``refusal``
    (the words of the spent cap), the tracking comment rewritten. Raises ForgeError."""
    state.failure = Failure(kind=BUDGET_EXHAUSTED, detail=refusal)
    state.handoff = Handoff(reason=BUDGET_EXHAUSTED)
    session.tracker.set_state(state, State.BLOCKED, check=False)
    session.publish(state)


def after_run(session: Session, check: SpendCheck, final: TrackingState) -> None:
    """With a daily cap, add what the run spent (the work order's total now less ``check.order_before``)
    to its entry of the day on the spend ledger. Best effort: a GitHub failure is swallowed (the work
    order's own total is in its tracking state either way)."""
    if check.ledger is None:
        return
    before, after = check.order_before, final.order_usage
    spent = Usage(tokens_in=max(0, after.tokens_in - before.tokens_in),
                  tokens_out=max(0, after.tokens_out - before.tokens_out),
                  cost_usd=round(max(0.0, after.cost_usd - before.cost_usd), 6), turns=max(0, after.turns - before.turns))
    ctx = session.ctx
    try:
        record_spend(ctx.outbox, ctx.templates, check.ledger, ctx.config.label_prefix, final.issue, check.day, spent)
    except ForgeError:
        pass
