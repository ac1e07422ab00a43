"""The work order's archive: on PASS the action commits ``docs/work-orders/<issue>-<slug>.md`` (the config's
``archive_path``) with the work order, the verdict summary and the evidence table
(``templates/work_order_archive.md.j2``), so merging the PR archives the work order in the repository.

The file is written after the PO gates, by the action; the gates never see it (:func:`without_archive`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..contracts.config import RepoConfig
from ..contracts.forge import Issue
from ..contracts.packet import Verdict
from ..contracts.workorder import WorkOrder
from ..evidence.diff import Diff
from ..shell.gitops import Git
from ..templates import Templates

__all__ = ["archive_path", "commit_archive", "slug", "without_archive"]


def slug(title: str) -> str:
    """``title`` as a file-name slug: lower case, runs of other characters as ``-``, at most 60 characters."""
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return text[:60].rstrip("-") or "work-order"


def archive_path(config: RepoConfig, number: int, title: str) -> str | None:
    """The archive file of work order ``number`` titled ``title``: the config's ``archive_path`` with
    ``{issue}`` and ``{slug}`` filled in, or None when archiving is off."""
    if not config.archive_path:
        return None
    return config.archive_path.replace("{issue}", str(number)).replace("{slug}", slug(title))


def without_archive(diff: Diff, path: str | None) -> Diff:
    """``diff`` without the action's archive file ``path`` (the gates judge the agent's work only)."""
    if not path:
        return diff
    return replace(diff, files=[f for f in diff.files if f.path != path and f.old_path != path],
                   added_lines=[a for a in diff.added_lines if a.path != path])


def commit_archive(wt: Git, config: RepoConfig, templates: Templates, issue: Issue, order: WorkOrder,
                   verdict: Verdict, cycle: int) -> str | None:
    """Write and commit the archive of ``issue`` in work tree ``wt`` after a PASS ``verdict`` of ``cycle``.
    Returns the new commit's SHA, or None when archiving is off or the file is unchanged. Raises GitError."""
    path = archive_path(config, issue.number, issue.title)
    if path is None:
        return None
    target = wt.repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(templates.render("work_order_archive.md.j2", issue=issue, order=order, verdict=verdict,
                                       cycle=cycle), encoding="utf-8")
    wt.run("add", "--", path)
    message = templates.render("archive_commit_message.txt.j2", issue=issue, path=path)
    if not wt.run("diff", "--cached", "--name-only", "--", path).strip():
        return None
    wt.run("-c", f"user.name={config.git.author_name}", "-c", f"user.email={config.git.author_email}",
           "commit", "-q", "-m", message, "--", path)
    return wt.rev("HEAD")
