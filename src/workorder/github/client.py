"""What every part of :class:`workorder.github.forge.GitHubForge` shares: the PyGithub client of one
repository, the retrying call, and paginated reads (per_page=100, following ``Link: rel="next"``,
docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from github import Github
from github.Repository import Repository

from .call import call
from .records import next_link

if TYPE_CHECKING:
    from .retry import WorkorderRetry


class GitHubClient:
    """The base of the forge's parts: ``_gh`` (PyGithub's client), ``_repo`` (the lazy repository),
    ``repository`` (``owner/name``) and ``retry`` (the run's :class:`workorder.github.retry.WorkorderRetry`),
    all set by :class:`workorder.github.forge.GitHubForge`."""

    _gh: Github
    _repo: Repository
    repository: str
    retry: WorkorderRetry

    def _call(self, what: str, fn: Callable[[], Any], lookup: Callable[[], Any] | None = None) -> Any:
        """``fn()`` under the retry policy (see :func:`workorder.github.call.call`); raises ForgeError."""
        return call(self.retry, what, fn, lookup)

    def _pages(self, url: str, parameters: dict[str, Any]) -> list[dict]:
        """Every item of a paginated list endpoint (per_page=100, following ``Link: rel="next"``)."""
        items: list[dict] = []
        next_url: str | None = url
        params: dict[str, Any] | None = {**parameters, "per_page": 100}
        while next_url:
            headers, data = self._gh.requester.requestJsonAndCheck("GET", next_url, parameters=params)
            items += data if isinstance(data, list) else []
            next_url = next_link(headers.get("link") or headers.get("Link") or "")
            params = None  # the next link carries them
        return items
