"""What every part of :class:`workorder.github.forge.GitHubForge` shares: the PyGithub client of one
repository, the retrying call paced by the run's request budget (:mod:`workorder.github.budget`),
conditional reads (:mod:`workorder.github.etags`), and paginated reads (per_page=100, following
``Link: rel="next"``, docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from github import Github
from github.Repository import Repository

from .call import call
from .records import next_link

if TYPE_CHECKING:
    from .budget import RequestBudget
    from .etags import EtagCache
    from .retry import WorkorderRetry


class GitHubClient:
    """The base of the forge's parts: ``_gh`` (PyGithub's client), ``_repo`` (the lazy repository),
    ``repository`` (``owner/name``) and ``retry`` (the run's :class:`workorder.github.retry.WorkorderRetry`),
    ``etags`` (the run's :class:`workorder.github.etags.EtagCache`) and ``budget`` (its
    :class:`workorder.github.budget.RequestBudget`), all set by :class:`workorder.github.forge.GitHubForge`."""

    _gh: Github
    _repo: Repository
    repository: str
    retry: WorkorderRetry
    etags: EtagCache
    budget: RequestBudget

    def _call(self, what: str, fn: Callable[[], Any], lookup: Callable[[], Any] | None = None) -> Any:
        """``fn()`` under the retry policy (see :func:`workorder.github.call.call`), after the request
        budget's pause when the token runs low (:meth:`_pace`); raises ForgeError."""
        self._pace()
        return call(self.retry, what, fn, lookup)

    def _pace(self) -> float:
        """Wait as the run's request budget asks, by the rate-limit headers of the last answer (PyGithub
        keeps them: ``rate_limiting`` = (remaining, limit), ``rate_limiting_resettime``); returns the
        seconds waited (0 before the first answer)."""
        from .retry import default_sleep

        requester = self._gh.requester
        remaining, _limit = requester.rate_limiting
        return self.budget.pace(remaining, requester.rate_limiting_resettime, self.retry.clock,
                                self.retry.sleep or default_sleep)

    def _get_json(self, url: str, parameters: dict[str, Any] | None = None) -> Any:
        """The JSON of ``GET url``, asked conditionally (a 304 answer is free; see
        :class:`workorder.github.etags.EtagCache`). Raises GithubException."""
        return self.etags.get(self._gh.requester, url, parameters)[1]

    def _pages(self, url: str, parameters: dict[str, Any]) -> list[dict]:
        """Every item of a paginated list endpoint (per_page=100, following ``Link: rel="next"``)."""
        items: list[dict] = []
        next_url: str | None = url
        params: dict[str, Any] | None = {**parameters, "per_page": 100}
        while next_url:
            headers, data = self.etags.get(self._gh.requester, next_url, params)
            items += data if isinstance(data, list) else []
            next_url = next_link(headers.get("link") or headers.get("Link") or "")
            params = None  # the next link carries them
        return items
