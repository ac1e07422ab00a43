"""What the loop's phases share and what they return: tagged results instead of ``None``.

The loop (:mod:`workorder.loop.engine`) only decides the next phase; the SE phase
(:mod:`workorder.loop.se_phase`) and the PO review (:mod:`workorder.loop.po_review`) do the work and hand back
one of the results below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .budgets import RunBudget
from ..contracts.packet import DoDPacket, Verdict
from ..evidence.diff import Diff
from ..contracts.forge import Issue
from ..presets import Usage
from .state import Handoff, State, TrackingState
from ..evidence.testresults_model import VerifyRun
from ..contracts.workorder import WorkOrder

if TYPE_CHECKING:
    from .deps import LoopDeps


@dataclass(frozen=True)
class Developed:
    """The SE runner handed back work and a DoD packet (its own, or one the action built)."""

    packet: DoDPacket


@dataclass(frozen=True)
class Stopped:
    """The phase ended the loop early: the ``state`` to move to (blocked, needs-answer) and the
    ``handoff`` for a person (None for a question). ``TrackingState.failure`` says why."""

    state: State
    handoff: Handoff | None


@dataclass(frozen=True)
class Reviewed:
    """The PO review's outcome: the ``verdict``, the real ``diff`` it judged and the verify ``runs``."""

    verdict: Verdict
    diff: Diff
    runs: list[VerifyRun]


PhaseResult = Developed | Stopped


@dataclass
class PhaseContext:
    """One loop run's shared facts: its dependencies, the issue and its work order, the run's budget,
    the audit event writer, and the protected paths the SE phase reverted (the review reports them)."""

    deps: LoopDeps
    issue: Issue
    order: WorkOrder
    budget: RunBudget
    event: Callable[..., None]
    reverted: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        """The issue number."""
        return self.issue.number

    def account(self, s: TrackingState, usage: Usage) -> None:
        """Add an agent's reported usage to this run's budget, the whole loop's total and the work order's."""
        self.budget.account(usage)
        s.usage = s.usage + usage
        s.order_usage = s.order_usage + usage
