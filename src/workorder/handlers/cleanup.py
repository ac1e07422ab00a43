"""Retention: which local run records and ``wo/`` branches ``workorder cleanup`` removes, and removing them.

A run record is one work order's folder under the runs folder (``<runs>/<issue>/``, :class:`workorder.loop.audit.Journal`);
it goes when nothing in it changed for ``days``. A work branch (``<branch_prefix><issue>-…``) goes when its work
order is closed or its pull request merged, and never while a pull request of it is open. Everything is read
through the :class:`workorder.contracts.forge.Forge` interface, so it works on GitHub and on the local forge.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..contracts.forge import Forge, ForgeError
from ..loop.outbox import DeleteBranch, Outbox
from .route import issue_of_pull_request

__all__ = ["CleanupPlan", "apply_cleanup", "plan_cleanup"]

DAY = 86_400.0


@dataclass
class CleanupPlan:
    """What a cleanup removes (``records``: run record folders; ``branches``) and the branches it keeps with
    the reason (``kept``: (branch, reason): open_pr, open_issue, not_a_work_order, unknown_issue)."""

    records: list[Path] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)


def _newest_mtime(folder: Path) -> float:
    times = [p.stat().st_mtime for p in folder.rglob("*")]
    return max([folder.stat().st_mtime, *times])


def old_records(runs: Path, days: int, now: float) -> list[Path]:
    """The run record folders (``<runs>/<issue>/``) with nothing newer than ``days`` days before ``now``."""
    if not runs.is_dir():
        return []
    return sorted((p for p in runs.iterdir() if p.is_dir() and p.name.isdigit()
                   and _newest_mtime(p) < now - days * DAY), key=lambda p: int(p.name))


def _branch_verdict(forge: Forge, branch: str, prefix: str) -> str | None:
    """None when ``branch`` may go, else why it stays."""
    number = issue_of_pull_request(branch, None, prefix)
    if number is None:
        return "not_a_work_order"
    pr = forge.find_pull_request(branch)
    if pr is not None and pr.state == "open":
        return "open_pr"
    if pr is not None and pr.merged:
        return None
    try:
        issue = forge.get_issue(number)
    except ForgeError as exc:
        if exc.status == 404:
            return "unknown_issue"
        raise
    return None if issue.state == "closed" else "open_issue"


def plan_cleanup(forge: Forge, runs: Path, days: int, now: float, branch_prefix: str) -> CleanupPlan:
    """What ``workorder cleanup`` removes: run records under ``runs`` older than ``days`` days (as of ``now``,
    seconds since the epoch) and the ``branch_prefix`` branches of closed or merged work orders without an
    open pull request. Reads only; raises ForgeError when the forge fails."""
    plan = CleanupPlan(records=old_records(runs, days, now))
    for branch in forge.list_branches(branch_prefix):
        reason = _branch_verdict(forge, branch, branch_prefix)
        if reason is None:
            plan.branches.append(branch)
        else:
            plan.kept.append((branch, reason))
    return plan


def apply_cleanup(forge: Forge, plan: CleanupPlan) -> None:
    """Remove what ``plan`` lists: each record folder, then each branch (checked again for an open pull
    request just before it goes, so each deletion is written at once through an :class:`Outbox`). Raises
    ForgeError or OSError on the first failure."""
    outbox = Outbox(forge)
    for folder in plan.records:
        shutil.rmtree(folder)
    for branch in plan.branches:
        pr = forge.find_pull_request(branch)
        if pr is not None and pr.state == "open":
            continue
        outbox.write_now(DeleteBranch(branch))
