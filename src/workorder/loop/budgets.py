"""The budgets of one workflow run of the loop: wall clock (seconds), cost (US dollars), tokens (counts);
and the caps across runs: per work order (over all its cycles and runs) and per repository per UTC day.

Config ``budgets`` (:class:`workorder.contracts.config.BudgetConfig`) sets the limits; hitting a per-run one
ends the phase as blocked with reason ``budget`` (the partial work is pushed; ``/wo retry`` resumes). Hitting
a cap across runs stops it as ``budget_exhausted``, which ``/wo retry`` refuses: a maintainer's ``/wo budget``
lifts the caps for one run. The work order's total is ``TrackingState.order_usage`` (its tracking comment);
the day's total comes from the spend ledger (:mod:`workorder.handlers.spend_ledger`), read before the run.
The caps are checked before a run starts and after every SE phase (the per-run limits are also held by the
model proxy within a phase).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..contracts.config import BudgetConfig
from ..presets import Usage
from ..templates import Templates


class RunBudget:
    """Tracks one run's usage against ``limits``. ``clock`` is monotonic seconds (injectable); the
    run started when the object was made. ``used`` is what the agents reported in this run."""

    def __init__(self, limits: BudgetConfig, templates: Templates, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.templates = templates
        self.clock = clock
        self.started = clock()
        self.used = Usage()
        self.order_before = Usage()  # the work order's usage before this run (TrackingState.order_usage)
        self.day_before: Usage | None = None  # the repository's usage today before this run; None: not read
        self.lifted = False  # a maintainer's /wo budget: the caps across runs do not stop this run
        self.exhausted = False  # over() found a cap across runs spent

    def phase_timeout(self, phase_limit_s: float) -> tuple[float, bool]:
        """Seconds the next phase may run (at most ``phase_limit_s``), and whether the run's
        wall-clock budget is what limits it. A result <= 0 means the budget is spent."""
        wall = self.limits.wall_clock
        if wall is None:
            return float(phase_limit_s), False
        left = wall - (self.clock() - self.started)
        return (left, True) if left < phase_limit_s else (float(phase_limit_s), False)

    def account(self, usage: Usage) -> None:
        """Add an agent's reported usage to this run's total."""
        self.used = self.used + usage

    def over(self) -> str | None:
        """Why this run is over its budget, in words for the tracking comment, or None."""
        b = self.limits
        if b.max_cost_usd is not None and self.used.cost_usd > b.max_cost_usd:
            return self.text("cost")
        if b.max_tokens is not None and self.used.tokens > b.max_tokens:
            return self.text("tokens")
        if not self.lifted:
            day = None if self.day_before is None else self.day_before + self.used
            kind = caps_spent(b, self.order_before + self.used, day)
            if kind is not None:
                self.exhausted = True
                return exhausted_text(self.templates, kind, b, self.order_before + self.used, day)
        if b.wall_clock is not None and self.clock() - self.started >= b.wall_clock:
            return self.text("wall_clock")
        return None

    @property
    def failure_kind(self) -> str:
        """The failure kind of the stop :meth:`over` found: ``budget_exhausted`` (a cap across runs) or ``budget``."""
        return "budget_exhausted" if self.exhausted else "budget"

    def text(self, kind: str) -> str:
        """The words for budget ``kind`` (wall_clock, cost or tokens) reached (templates/budget_reached.txt.j2)."""
        return self.templates.render_line("budget_reached.txt.j2", kind=kind, budgets=self.limits, used=self.used)


def caps_spent(limits: BudgetConfig, order: Usage, day: Usage | None) -> str | None:
    """Which cap across runs is spent (reached or passed): ``order_cost``, ``order_tokens``, ``daily_cost``
    or ``daily_tokens``, else None. Takes the limits, the work order's total and the repository's total today
    (None: not known, so the daily caps are not checked)."""
    if limits.order_max_cost_usd is not None and order.cost_usd >= limits.order_max_cost_usd:
        return "order_cost"
    if limits.order_max_tokens is not None and order.tokens >= limits.order_max_tokens:
        return "order_tokens"
    if day is not None and limits.daily_max_cost_usd is not None and day.cost_usd >= limits.daily_max_cost_usd:
        return "daily_cost"
    if day is not None and limits.daily_max_tokens is not None and day.tokens >= limits.daily_max_tokens:
        return "daily_tokens"
    return None


def exhausted_text(templates: Templates, kind: str, limits: BudgetConfig, order: Usage, day: Usage | None) -> str:
    """The words for cap ``kind`` (see :func:`caps_spent`) spent, with the totals
    (templates/budget_reached.txt.j2)."""
    return templates.render_line("budget_reached.txt.j2", kind=kind, budgets=limits, used=order, order=order,
                                 day=day or Usage())
