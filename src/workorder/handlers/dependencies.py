"""Which issues block a work order, and whether they are done.

Blockers are the work order's ``blocked_by`` issue numbers and GitHub's native issue dependencies
(REST ``GET /repos/{owner}/{repo}/issues/{n}/dependencies/blocked_by``). A blocker is done when it is
closed, or its state label is ``passed`` or ``approved``.
"""

from __future__ import annotations

from ..contracts.forge import Forge, ForgeError, Issue
from ..loop.state import LabelNames, State
from ..contracts.workorder import WorkOrder

DONE_STATES = (State.PASSED, State.APPROVED)


def is_done(issue: Issue, names: LabelNames) -> bool:
    """True when ``issue`` is closed or its state label says passed or approved."""
    return issue.state == "closed" or any(names.state_of(label) in DONE_STATES for label in issue.labels)


def has_native_blockers(issue: Issue) -> bool:
    """Whether GitHub's native dependencies may name blockers of ``issue``: True unless its
    ``issue_dependencies_summary`` says there are none. ``blocked_by`` there counts only OPEN
    blockers and ``total_blocked_by`` open and closed ones, so a dependent whose blockers all
    closed has ``blocked_by`` 0 but still has blockers to read; unknown counts (None) mean ask."""
    return any(count != 0 for count in (issue.blocked_by_count, issue.total_blocked_by))


def blockers_of(forge: Forge, issue: Issue, order: WorkOrder, known: dict[int, Issue] | None = None) -> list[Issue]:
    """Every blocker of ``issue``: GitHub's native "blocked by" links (asked only when the issue's
    dependency summary does not say there are none, see :func:`has_native_blockers`) and the work
    order's ``blocked_by`` numbers (taken from ``known`` when there, else read). A blocker that does
    not exist is left out."""
    known = known or {}
    native = forge.blocked_by(issue.number) if has_native_blockers(issue) else []
    found = {b.number: b for b in native}
    for number in order.blocked_by:
        if number in found or number == issue.number:
            continue
        if number in known:
            found[number] = known[number]
            continue
        try:
            found[number] = forge.get_issue(number)
        except ForgeError:
            continue
    return [found[n] for n in sorted(found)]
