"""The forge interface over GitHub's REST API, through PyGithub: :class:`GitHubForge` and its retry policy.

Endpoints (docs.github.com/en/rest): issues, labels, issue comments, pulls, pull request reviews,
commit statuses, and ``GET /repos/{owner}/{repo}/collaborators/{username}/permission``.
Lists are paginated with per_page=100. Objects are lazy, so no call is made until data is needed.
Only this module and its parts (``github_*.py``: one per group of endpoints, plus the retrying call,
the JSON conversions and the shared client) import PyGithub. :data:`default_sleep` stays here: it is
what :class:`WorkorderRetry` sleeps with, and what tests replace (``workorder.github.forge.default_sleep``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from github import Auth, Github

from .call import failure_kind
from .comments import GitHubComments
from .issues import GitHubIssues
from .labels import GitHubLabels
from .pulls import GitHubPulls
from .reviews import GitHubReviews
from .rulesets import GitHubRulesets
from .statuses import GitHubStatuses

__all__ = ["DEFAULT_API_URL", "GitHubForge", "WorkorderRetry", "default_sleep", "failure_kind"]

DEFAULT_API_URL = "https://api.github.com"
SECONDARY_LIMIT_WAIT_S = 60.0  # GitHub: without retry-after, wait at least a minute after a secondary limit


def default_sleep(seconds: float) -> None:
    """Sleep ``seconds`` (the retry policy's default; tests replace it so they never wait)."""
    time.sleep(seconds)


@dataclass
class WorkorderRetry:
    """How every GitHub request is retried, bounded by the run's budget.

    Transient answers are retried for every method: 5xx and connection errors with exponential
    backoff (``backoff_s`` · 2^attempt seconds), 429 and rate-limit 403s (primary: ``x-ratelimit-remaining: 0``
    until ``x-ratelimit-reset``, an epoch in seconds; secondary: ``retry-after`` seconds, else one minute)
    as GitHub asks (docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
    At most ``attempts`` tries per request, and all waits of the run together stay within
    ``max_wait_s`` seconds: a wait that would go over raises instead of sleeping. A create that failed
    with 5xx may have been applied, so the forge looks the object up before it creates it again.
    ``sleep`` (seconds → None) and ``clock`` (epoch seconds) are injectable so tests never wait.
    """

    max_wait_s: float = 300.0
    sleep: Callable[[float], None] | None = None
    attempts: int = 5
    backoff_s: float = 1.0
    clock: Callable[[], float] = time.time
    waited_s: float = 0.0

    def wait_s(self, kind: str, headers: dict[str, str], attempt: int) -> float:
        """Seconds to wait before try ``attempt`` + 1 after a ``kind`` (rate_limit | server) failure."""
        h = {k.lower(): str(v) for k, v in (headers or {}).items()}
        after = h.get("retry-after", "").strip()
        if after.isdigit():
            return float(after)
        if kind == "rate_limit" and h.get("x-ratelimit-remaining") == "0" and h.get("x-ratelimit-reset", "").isdigit():
            return max(0.0, float(h["x-ratelimit-reset"]) - self.clock()) + 1.0
        if kind == "rate_limit":
            return SECONDARY_LIMIT_WAIT_S
        return self.backoff_s * (2 ** attempt)

    def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` if the run's budget allows it (True), else do not sleep (False)."""
        if self.waited_s + seconds > self.max_wait_s:
            return False
        (self.sleep or default_sleep)(seconds)
        self.waited_s += seconds
        return True


class GitHubForge(GitHubIssues, GitHubLabels, GitHubComments, GitHubPulls, GitHubReviews, GitHubStatuses,
                  GitHubRulesets):
    """A :class:`workorder.contracts.forge.Forge` for one repository.

    Takes a token (never logged), ``owner/name``, the API base URL (``$GITHUB_API_URL``, for GitHub
    Enterprise Server), and throttling in seconds between requests and between writes (GitHub asks
    for about one second between writes; tests pass 0), and the retry policy (:class:`WorkorderRetry`,
    one budget per forge, so per run). Every method retries transient failures; creates (comment,
    review, status, pull request) look their object up after a 5xx before creating it again. Raises
    :class:`ForgeError` on refusals and when retries run out (``transient`` then).

    The methods live in one part per group of endpoints (:mod:`workorder.github.issues`, ``_labels``,
    ``_comments``, ``_pulls``, ``_reviews``, ``_statuses``), all on :class:`workorder.github.client.GitHubClient`.
    """

    def __init__(
        self,
        token: str,
        repository: str,
        api_url: str = DEFAULT_API_URL,
        *,
        retry: WorkorderRetry | None = None,
        seconds_between_requests: float | None = 0.25,
        seconds_between_writes: float | None = 1.0,
    ):
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=api_url.rstrip("/"),
            per_page=100,
            retry=None,  # retried in _call, by WorkorderRetry, for every method
            lazy=True,
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
        )
        self.retry = retry or WorkorderRetry()
        self._repo = self._gh.get_repo(repository)
        self.repository = repository
