"""The forge interface over GitHub's REST API, through PyGithub: :class:`GitHubForge` and its retry policy.

Endpoints (docs.github.com/en/rest): issues, labels, issue comments, pulls, pull request reviews,
commit statuses, and ``GET /repos/{owner}/{repo}/collaborators/{username}/permission``.
Lists are paginated with per_page=100. Objects are lazy, so no call is made until data is needed.
Only this module and its parts (``github_*.py``: one per group of endpoints, plus the retrying call,
the JSON conversions and the shared client) import PyGithub. The retry policy
(:class:`WorkorderRetry`, :data:`default_sleep`) is in :mod:`workorder.github.retry`.
"""

from __future__ import annotations


from github import Auth, Github

from .branches import GitHubBranches
from .budget import RequestBudget
from .call import failure_kind
from .comments import GitHubComments
from .etags import EtagCache
from .issues import GitHubIssues
from .labels import GitHubLabels
from .pulls import GitHubPulls
from .reviews import GitHubReviews
from .rulesets import GitHubRulesets
from .retry import WorkorderRetry
from .statuses import GitHubStatuses

__all__ = ["DEFAULT_API_URL", "GitHubForge", "failure_kind"]

DEFAULT_API_URL = "https://api.github.com"


class GitHubForge(GitHubIssues, GitHubLabels, GitHubComments, GitHubPulls, GitHubReviews, GitHubStatuses,
                  GitHubRulesets, GitHubBranches):
    """A :class:`workorder.contracts.forge.Forge` for one repository.

    Takes a token (never logged), ``owner/name``, the API base URL (``$GITHUB_API_URL``, for GitHub
    Enterprise Server), and throttling in seconds between requests and between writes (GitHub asks
    for about one second between writes; tests pass 0), and the retry policy (:class:`WorkorderRetry`,
    one budget per forge, so per run) and the request budget (:class:`RequestBudget`: pace below a
    reserve of the hour's requests). Reads are conditional (an ETag cache per forge, so per run: a 304
    is free). Every method retries transient failures; creates (comment,
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
        budget: RequestBudget | None = None,
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
        self.budget = budget or RequestBudget()
        self.etags = EtagCache()
        self._repo = self._gh.get_repo(repository)
        self.repository = repository
