"""The forge's records from GitHub's REST answers: issues, pull requests, and the ``Link`` header.

Formats: docs.github.com/en/rest/issues/issues (issue JSON, with ``issue_dependencies_summary``),
docs.github.com/en/rest/pulls/pulls (pull request), and
docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api (``Link: <url>; rel="next"``).
"""

from __future__ import annotations

from typing import Any

from ..contracts.forge import Issue, PullRequest


def pull_request_from(pr: Any) -> PullRequest:
    """A :class:`PullRequest` from PyGithub's ``PullRequest`` object (number, head/base refs, URL,
    draft flag, head SHA)."""
    return PullRequest(number=pr.number, head=pr.head.ref, base=pr.base.ref, html_url=pr.html_url,
                       draft=bool(pr.draft), head_sha=pr.head.sha, state=pr.state or "open",
                       merged=pr.merged_at is not None)


def next_link(link: str) -> str | None:
    """The URL of ``rel="next"`` in a ``Link`` header value, or None on the last page."""
    for part in link.split(","):
        if 'rel="next"' in part:
            return part.split(";", 1)[0].strip().strip("<>")
    return None


def issue_from_json(data: dict) -> Issue:
    """An :class:`Issue` from the REST JSON of an issue (list or single); the dependency counts are
    None when GitHub sends no ``issue_dependencies_summary``, the comment count when it sends no ``comments``."""
    summary = data.get("issue_dependencies_summary")
    milestone = data.get("milestone") or {}
    return Issue(
        number=int(data["number"]), title=data.get("title") or "", body=data.get("body"),
        labels=tuple(label["name"] for label in data.get("labels") or [] if isinstance(label, dict)),
        author=(data.get("user") or {}).get("login", ""), state=data.get("state", "open"),
        html_url=data.get("html_url", ""), milestone=milestone.get("number") if isinstance(milestone, dict) else None,
        blocked_by_count=summary.get("blocked_by") if isinstance(summary, dict) else None,
        total_blocked_by=summary.get("total_blocked_by") if isinstance(summary, dict) else None,
        comment_count=data["comments"] if isinstance(data.get("comments"), int) else None,
    )
