"""``workorder route``: which work order issue an event belongs to, and its lane, from the payload
alone (no API call). The example workflow uses them for its concurrency group, so runs for one
issue never overlap, whether the event came from the issue or its pull request, while ``now``
commands (help, status, approve, abort) do not wait behind a running loop. A fork's pull request
(head repository id != base repository id) routes to no issue, so nothing is checked out for it."""

from __future__ import annotations

from typing import Any

from .bounded import MAX_ISSUE_NUMBER
from .commands import parse_commands
from .config import RepoConfig
from .handlers.comment import lane_of
from .handlers.pull_request import is_fork
from .handlers.session import issue_of_pull_request


def route_event(event_name: str, payload: Any, config: RepoConfig) -> dict[str, str]:
    """Returns ``{"issue": "<number>" or "", "lane": "loop" | "now"}`` for an event payload."""
    if not isinstance(payload, dict):
        return {"issue": "", "lane": "now"}
    issue = payload.get("issue") if isinstance(payload.get("issue"), dict) else {}
    pr = payload.get("pull_request") if isinstance(payload.get("pull_request"), dict) else {}
    number: int | None = None
    lane = "now"
    if event_name == "issues":
        number = issue.get("number")
        label = (payload.get("label") or {}).get("name") if isinstance(payload.get("label"), dict) else None
        starts = (payload.get("action") == "labeled" and label == config.trigger) or payload.get("action") == "closed"
        lane = "loop" if starts else "now"
    elif event_name == "issue_comment":
        if issue.get("pull_request"):
            number = issue_of_pull_request(None, issue.get("body"), config.branch_prefix)
        else:
            number = issue.get("number")
        comment = payload.get("comment") if isinstance(payload.get("comment"), dict) else {}
        body = comment.get("body") if isinstance(comment.get("body"), str) else ""
        lane = lane_of(parse_commands(body, config.command_prefix))
    elif event_name in ("pull_request", "pull_request_target", "pull_request_review"):
        head = pr.get("head") if isinstance(pr.get("head"), dict) else {}
        # a fork's pull request routes nowhere: the job that checks out and runs never starts
        number = None if is_fork(pr) else issue_of_pull_request(head.get("ref"), None, config.branch_prefix)
        lane = "loop"
    valid = isinstance(number, int) and not isinstance(number, bool) and 0 < number <= MAX_ISSUE_NUMBER
    return {"issue": str(number) if valid else "", "lane": lane}
