"""The outcome figures behind the milestone board's totals (``templates/board.md.j2``; the same sums as
``workorder report``, :func:`workorder.handlers.report.add_totals`): when a dispatch rewrites the board it keeps
the rows of work orders that left the milestone's open issues (closed, typically by their merged PR), so the
totals count them, and asks GitHub whether each PASSed row's pull request was merged."""

from __future__ import annotations

from ..contracts.forge import Forge, ForgeError
from .board import BoardData, BoardRow

MAX_MERGE_CHECKS = 50  # pull requests a dispatch reads for the PASS → merged rate


def with_outcomes(forge: Forge, rows: list[BoardRow], old: BoardData | None) -> list[BoardRow]:
    """``rows`` (the open work orders, as the dispatch found them) plus the detailed rows of ``old`` (the
    board as it was) whose issues are no longer listed, shown as ``closed``; each PASSed row's ``merged``
    from its pull request (kept once seen; at most :data:`MAX_MERGE_CHECKS` reads, one per PASSed row not
    yet seen merged). A GitHub failure leaves ``merged`` as it was. Returns the new list."""
    listed = {r.number for r in rows}
    kept = {r.number: r for r in (old.rows if old else [])}
    carried = [r.model_copy(update={"state": "closed"}) for n, r in kept.items()
               if n not in listed and r.detailed]
    result = [*rows, *carried]
    checks = 0
    for row in result:
        row.merged = row.merged or (kept[row.number].merged if row.number in kept else False)
        if row.passed and row.pr_number and not row.merged and checks < MAX_MERGE_CHECKS:
            checks += 1
            try:
                row.merged = forge.get_pull_request(row.pr_number).merged
            except ForgeError:
                pass
    return result
