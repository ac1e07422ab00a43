"""The budgets of one workflow run of the loop: wall clock (seconds), cost (US dollars), tokens (counts).

Config ``budgets`` (:class:`workorder.contracts.config.BudgetConfig`) sets the limits; hitting one ends the
phase as blocked with reason ``budget`` (the partial work is pushed; ``/wo retry`` resumes).
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
        if b.wall_clock is not None and self.clock() - self.started >= b.wall_clock:
            return self.text("wall_clock")
        return None

    def text(self, kind: str) -> str:
        """The words for budget ``kind`` (wall_clock, cost or tokens) reached (templates/budget_reached.txt.j2)."""
        return self.templates.render_line("budget_reached.txt.j2", kind=kind, budgets=self.limits, used=self.used)
