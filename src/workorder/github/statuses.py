"""Commit statuses on GitHub: read the combined status of a commit, set one
(docs.github.com/en/rest/commits/statuses)."""

from __future__ import annotations

from typing import Any

from ..contracts.forge import CommitStatus, StatusState
from .client import GitHubClient


class GitHubStatuses(GitHubClient):
    """The commit status methods of :class:`workorder.contracts.forge.Forge` on GitHub; each raises ForgeError."""

    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        """The latest status of each context on commit ``sha``
        (``GET /repos/{owner}/{repo}/commits/{sha}/status``, the combined status)."""
        def fetch() -> list[CommitStatus]:
            _, data = self._gh.requester.requestJsonAndCheck("GET", f"{self._repo.url}/commits/{sha}/status")
            return [CommitStatus(context=s.get("context", ""), state=s.get("state", ""),
                                 description=s.get("description") or "") for s in (data or {}).get("statuses", [])]

        return self._call(f"reading the commit statuses of {sha[:12]}", fetch)

    def set_commit_status(self, sha: str, state: StatusState, context: str, description: str, target_url: str | None) -> None:
        """Set status ``state`` of ``context`` on commit ``sha`` (``POST /repos/{owner}/{repo}/statuses/{sha}``);
        after a 5xx the same (context, state, description) already there counts as set."""
        kwargs: dict[str, Any] = {"state": state, "context": context, "description": description}
        if target_url:
            kwargs["target_url"] = target_url

        def lookup() -> bool | None:
            same = [s for s in self.commit_statuses(sha) if (s.context, s.state, s.description) == (context, state, description)]
            return True if same else None

        self._call(f"setting commit status {context}", lambda: self._repo.get_commit(sha).create_status(**kwargs), lookup)
