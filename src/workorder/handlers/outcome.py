"""What handling one event decided and did (the ``--dry-run`` plan is the same shape)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..loop.state import TrackingState

Decision = Literal["plan", "done", "ignored", "refused", "invalid", "error"]


class Outcome(BaseModel):
    """The result of handling an event.

    decision: plan (dry run: what would happen), done (the loop ran), ignored (nothing to do, with the
    reason), refused (the sender may not do this), invalid (bad work order or config), error.
    reason_code: stable id of the reason (e.g. ``not_trigger_label``); reason: the same in words.
    steps: the dry-run plan, one dict per step. state: the final tracking state when the loop ran.
    matrix: issue numbers ready to start (workflow_dispatch, mode matrix). started: issues whose
    loops this run started (dependents of a finished blocker, or a sequential milestone).
    """

    event: str
    action: str | None = None
    decision: Decision
    reason_code: str | None = None
    reason: str | None = None
    issue: int | None = None
    steps: list[dict[str, Any]] = Field(default_factory=list)
    problems: list[dict[str, Any]] = Field(default_factory=list)
    state: TrackingState | None = None
    matrix: list[int] | None = None
    started: list[int] = Field(default_factory=list)
