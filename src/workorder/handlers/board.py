"""The milestone progress board: one issue per milestone whose body shows every work order's state,
cycle, verdict and PR, and the dependency graph (templates/board.md.j2).

The body also carries its own data as a hidden JSON block (``<!-- workorder:board-data {…} -->``,
``<`` and ``>`` escaped like the tracking comment's state block), so a run that changed one work
order's state rewrites its row from the board it already holds: no listing of the milestone, no
reading of other tracking comments.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field, ValidationError

from ..loop.state import TrackingState
from ..templates import Templates
from ..templates.untrusted import trusted
from .report import OrderOutcome, Report, add_totals, hours_between, spent_by

BOARD_LABEL_SUFFIX = "board"
_DATA_BLOCK = re.compile(r"<!-- workorder:board-data (\{.*?\}) -->", re.DOTALL)


def board_marker(milestone: int) -> str:
    """The hidden marker that names the board of milestone number ``milestone``."""
    return f"<!-- workorder:board {milestone} -->"


class BoardRow(BaseModel):
    """One work order on the board: issue ``number`` and ``title``, the ``state`` shown (a state
    name or "not started"), and from its tracking state (when known) the cycle, the cap, the last
    PO verdict (PASS | FAIL) and the PR number."""

    number: int
    title: str
    state: str
    cycle: int = 0
    max_cycles: int = 0
    verdict: str | None = None
    pr_number: int | None = None
    detailed: bool = False  # cycle, verdict and PR are known (from a tracking state)
    archive: str | None = None  # the archive file the PASS commit added, when there is one
    # the outcome figures of the board's totals (workorder.handlers.report): cost over all runs (US dollars),
    # hours from the loop's start to PASS, whether it PASSed, and whether its PR was merged (checked at dispatch)
    cost_usd: float = 0.0
    hours_to_pass: float | None = None
    passed: bool = False
    merged: bool = False

    @classmethod
    def of(cls, number: int, title: str, shown: str, s: TrackingState | None) -> BoardRow:
        """A row for issue ``number`` showing ``shown``, with the details of ``s`` when given."""
        if s is None:
            return cls(number=number, title=title, state=shown)
        passed = s.verdict == "PASS" or s.passed_at is not None
        return cls(number=number, title=title, state=s.state.value, cycle=s.cycle, max_cycles=s.max_cycles,
                   verdict=s.verdict, pr_number=s.pr_number, detailed=True,
                   archive=s.archive_path if s.verdict == "PASS" else None, cost_usd=spent_by(s).cost_usd,
                   hours_to_pass=hours_between(s.started_at, s.passed_at) if passed else None, passed=passed)

    def outcome(self) -> OrderOutcome:
        """The row's figures as the outcome report counts them."""
        return OrderOutcome(number=self.number, title=self.title, state=self.state, cycles=self.cycle,
                            cost_usd=self.cost_usd, tokens=0, hours_to_pass=self.hours_to_pass, passed=self.passed,
                            merged=self.merged)


class BoardData(BaseModel):
    """What a board shows: the milestone (number and title), the rows in work order, the
    dependency edges (blocker, dependent), and whether details were cut at ``max_details`` rows."""

    milestone: int
    title: str
    rows: list[BoardRow] = Field(default_factory=list)
    edges: list[tuple[int, int]] = Field(default_factory=list)
    truncated: bool = False
    max_details: int = 100

    def with_state(self, number: int, s: TrackingState) -> BoardData | None:
        """A copy whose row for issue ``number`` shows ``s``; None when the issue is not on this
        board or its row would not change."""
        for index, row in enumerate(self.rows):
            if row.number == number:
                new = BoardRow.of(number, row.title, s.state.value, s)
                new.merged = row.merged and new.passed  # a merge is seen at dispatch, and kept until then
                if new == row:
                    return None
                rows = [*self.rows[:index], new, *self.rows[index + 1:]]
                return self.model_copy(update={"rows": rows})
        return None


def render_board(templates: Templates, data: BoardData) -> str:
    """The board issue's body for ``data``: the marker, the text of templates/board.md.j2 and the
    hidden data block."""
    marker = board_marker(data.milestone)
    totals = add_totals(Report(orders=[r.outcome() for r in data.rows if r.detailed]))
    body = templates.render("board.md.j2", title=data.title, rows=data.rows, edges=data.edges, marker=trusted(marker),
                            truncated=data.truncated, max_details=data.max_details, totals=totals)
    payload = data.model_dump_json().replace("<", "\\u003c").replace(">", "\\u003e")
    return f"{body}\n<!-- workorder:board-data {payload} -->\n"


def read_board(body: str | None) -> BoardData | None:
    """The data block of a board issue's body, or None when there is none or it is not valid (a
    board written by an older version: the next dispatch rewrites it)."""
    match = _DATA_BLOCK.search(body or "")
    if not match:
        return None
    try:
        return BoardData.model_validate(json.loads(match.group(1)))
    except (ValueError, ValidationError, RecursionError):
        return None
