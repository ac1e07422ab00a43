"""The forge interface over GitHub's REST API, through PyGithub. The only module that imports it.

Endpoints (docs.github.com/en/rest): issues, labels, issue comments, pulls, pull request reviews,
commit statuses, and ``GET /repos/{owner}/{repo}/collaborators/{username}/permission``.
Lists are paginated with per_page=100. Objects are lazy, so no call is made until data is needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from github import Auth, Github, GithubException
from github.GithubException import UnknownObjectException

from .forge import (
    Comment,
    CommitStatus,
    ForgeError,
    Issue,
    LabelSpec,
    PullRequest,
    Review,
    ReviewComment,
    ReviewEvent,
    StatusState,
)

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


def failure_kind(status: int | None, headers: dict[str, str] | None, message: str) -> str:
    """``rate_limit``, ``server`` (5xx or no answer) or ``permanent`` for an HTTP ``status`` with its
    ``headers`` and GitHub's error ``message``."""
    h = {k.lower(): str(v) for k, v in (headers or {}).items()}
    if status is None or status >= 500:
        return "server"
    if status == 429:
        return "rate_limit"
    if status == 403 and ("retry-after" in h or h.get("x-ratelimit-remaining") == "0" or "rate limit" in message.lower()):
        return "rate_limit"
    return "permanent"


def _message(exc: GithubException) -> str:
    return str(exc.data.get("message") or "") if isinstance(exc.data, dict) else ""


def _error(exc: GithubException, what: str, transient: bool = False) -> ForgeError:
    return ForgeError(f"GitHub refused {what}: {exc.status} {_message(exc)}".strip(), status=exc.status,
                      transient=transient, call=what)


class GitHubForge:
    """A :class:`workorder.forge.Forge` for one repository.

    Takes a token (never logged), ``owner/name``, the API base URL (``$GITHUB_API_URL``, for GitHub
    Enterprise Server), and throttling in seconds between requests and between writes (GitHub asks
    for about one second between writes; tests pass 0), and the retry policy (:class:`WorkorderRetry`,
    one budget per forge, so per run). Every method retries transient failures; creates (comment,
    review, status, pull request) look their object up after a 5xx before creating it again. Raises
    :class:`ForgeError` on refusals and when retries run out (``transient`` then).
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

    def _call(self, what: str, fn: Callable[[], Any], lookup: Callable[[], Any] | None = None) -> Any:
        """Run the request(s) of ``fn``, retrying transient failures as :attr:`retry` allows.

        ``lookup`` is for creates: after a 5xx (GitHub may have applied the create) it is asked
        first, and what it finds (not None) is returned instead of creating again. Raises
        :class:`ForgeError` when GitHub refuses (``transient`` False) or when the tries or the run's
        wait budget run out (``transient`` True: a re-run may succeed).
        """
        attempt = 0
        while True:
            try:
                return fn()
            except GithubException as exc:
                kind = failure_kind(exc.status, exc.headers, _message(exc))
                error = _error(exc, what, transient=kind != "permanent")
                headers = dict(exc.headers or {})
            except requests.RequestException as exc:  # no answer: connection reset, timeout
                kind, headers = "server", {}
                error = ForgeError(f"GitHub did not answer {what}: {type(exc).__name__}", transient=True, call=what)
            if kind == "permanent":
                raise error from None
            if kind == "server" and lookup is not None:
                found = self._call(f"{what} (looking it up after a failed answer)", lookup)
                if found is not None:
                    return found
            if attempt + 1 >= self.retry.attempts or not self.retry.pause(self.retry.wait_s(kind, headers, attempt)):
                raise error from None
            attempt += 1

    def _pages(self, url: str, parameters: dict[str, Any]) -> list[dict]:
        """Every item of a paginated list endpoint (per_page=100, following ``Link: rel="next"``)."""
        items: list[dict] = []
        next_url: str | None = url
        params: dict[str, Any] | None = {**parameters, "per_page": 100}
        while next_url:
            headers, data = self._gh.requester.requestJsonAndCheck("GET", next_url, parameters=params)
            items += data if isinstance(data, list) else []
            next_url = _next_link(headers.get("link") or headers.get("Link") or "")
            params = None  # the next link carries them
        return items

    def get_issue(self, number: int) -> Issue:
        return self._call(f"reading issue #{number}", lambda: _issue_from_json(self._repo.get_issue(number).raw_data))

    def collaborator_permission(self, login: str) -> str:
        def fetch() -> str:
            try:
                return self._repo.get_collaborator_role_name(login) or "none"
            except UnknownObjectException:
                return "none"

        return self._call(f"the permission check of {login}", fetch)

    def list_repo_labels(self) -> list[str]:
        return self._call("listing labels", lambda: [label.name for label in self._repo.get_labels()])

    def create_label(self, spec: LabelSpec) -> None:
        def create() -> None:
            try:
                self._repo.create_label(spec.name, spec.color, spec.description[:100])
            except GithubException as exc:
                if exc.status != 422:  # 422: it exists already (a retried create that was applied, too)
                    raise

        self._call(f"creating label {spec.name}", create)

    def add_label(self, number: int, name: str) -> None:
        self._call(f"adding label {name}", lambda: self._repo.get_issue(number).add_to_labels(name))

    def remove_label(self, number: int, name: str) -> None:
        def remove() -> None:
            try:
                self._repo.get_issue(number).remove_from_labels(name)
            except GithubException as exc:
                if exc.status != 404:  # 404: the label is not on the issue (any more)
                    raise

        self._call(f"removing label {name}", remove)

    def list_comments(self, number: int) -> list[Comment]:
        def fetch() -> list[Comment]:
            return [
                Comment(id=c.id, author=c.user.login if c.user else "", body=c.body or "")
                for c in self._repo.get_issue(number).get_comments()
            ]

        return self._call(f"listing comments of #{number}", fetch)

    def create_comment(self, number: int, body: str) -> Comment:
        def create() -> Comment:
            c = self._repo.get_issue(number).create_comment(body)
            return Comment(id=c.id, author=c.user.login if c.user else "", body=body)

        def lookup() -> Comment | None:
            same = [c for c in self.list_comments(number) if c.body.strip() == body.strip()]
            return same[-1] if same else None

        return self._call(f"commenting on #{number}", create, lookup)

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        self._call(f"editing comment {comment_id}", lambda: self._repo.get_issue(number).get_comment(comment_id).edit(body))

    def add_reaction(self, number: int, comment_id: int, content: str) -> None:
        self._call(f"reacting to comment {comment_id}",
                   lambda: self._repo.get_issue(number).get_comment(comment_id).create_reaction(content))

    def get_pull_request(self, number: int) -> PullRequest:
        return self._call(f"reading pull request #{number}", lambda: _pull_request(self._repo.get_pull(number)))

    def list_review_comments(self, number: int, review_id: int) -> list[ReviewComment]:
        def fetch() -> list[ReviewComment]:
            return [
                ReviewComment(path=c.path, line=c.line or c.original_line or 0, body=c.body or "")
                for c in self._repo.get_pull(number).get_single_review_comments(review_id)
            ]

        return self._call(f"reading the comments of review {review_id}", fetch)

    def list_reviews(self, number: int) -> list[Review]:
        raw = self._call(f"listing the reviews of #{number}", lambda: self._pages(f"{self._repo.url}/pulls/{number}/reviews", {}))
        return [Review(id=int(r["id"]), author=(r.get("user") or {}).get("login", ""), body=r.get("body") or "",
                       commit_id=r.get("commit_id") or "", state=r.get("state") or "") for r in raw]

    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        def fetch() -> list[CommitStatus]:
            _, data = self._gh.requester.requestJsonAndCheck("GET", f"{self._repo.url}/commits/{sha}/status")
            return [CommitStatus(context=s.get("context", ""), state=s.get("state", ""),
                                 description=s.get("description") or "") for s in (data or {}).get("statuses", [])]

        return self._call(f"reading the commit statuses of {sha[:12]}", fetch)

    def list_issues(self, milestone: int | None = None, labels: tuple[str, ...] = (), state: str = "open") -> list[Issue]:
        params: dict[str, Any] = {"state": state}
        if milestone is not None:
            params["milestone"] = str(milestone)
        if labels:
            params["labels"] = ",".join(labels)
        raw = self._call("listing issues", lambda: self._pages(f"{self._repo.url}/issues", params))
        return [_issue_from_json(i) for i in raw if "pull_request" not in i]

    def blocked_by(self, number: int) -> list[Issue]:
        def fetch() -> list[Issue]:
            try:
                raw = self._pages(f"{self._repo.url}/issues/{number}/dependencies/blocked_by", {})
            except UnknownObjectException:
                return []  # no dependencies feature here (e.g. older GitHub Enterprise Server)
            return [_issue_from_json(i) for i in raw]

        return self._call(f"reading the dependencies of #{number}", fetch)

    def find_milestone(self, title_or_number: str) -> tuple[int, str] | None:
        raw = self._call("listing milestones", lambda: self._pages(f"{self._repo.url}/milestones", {"state": "all"}))
        for m in raw:
            if m.get("title") == title_or_number or str(m.get("number")) == title_or_number:
                return int(m["number"]), str(m.get("title", ""))
        return None

    def create_issue(self, title: str, body: str, labels: tuple[str, ...] = ()) -> Issue:
        issue = self._call("opening an issue", lambda: self._repo.create_issue(title=title, body=body, labels=list(labels)))
        return Issue(number=issue.number, title=title, body=body, labels=tuple(labels), author="",
                     html_url=issue.html_url)

    def edit_issue_body(self, number: int, body: str) -> None:
        self._call(f"editing issue #{number}", lambda: self._repo.get_issue(number).edit(body=body))

    def pin_issue(self, number: int) -> None:
        def pin() -> None:
            node = self._repo.get_issue(number).node_id
            self._gh.requester.graphql_query(
                "mutation($id: ID!) { pinIssue(input: {issueId: $id}) { issue { number } } }", {"id": node})

        try:
            self._call(f"pinning issue #{number}", pin)
        except ForgeError:
            pass  # pinning is a convenience: a repository may have three pinned issues already

    def _find_pull(self, head: str) -> PullRequest | None:
        owner = self.repository.split("/", 1)[0]
        for pr in self._repo.get_pulls(state="all", head=f"{owner}:{head}"):
            return _pull_request(pr)
        return None

    def find_pull_request(self, head: str) -> PullRequest | None:
        return self._call(f"looking up the pull request of {head}", lambda: self._find_pull(head))

    def create_pull_request(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        def create() -> PullRequest:
            try:
                return _pull_request(self._repo.create_pull(base=base, head=head, title=title, body=body, draft=draft))
            except GithubException as exc:
                if exc.status != 422:
                    raise
                existing = self._find_pull(head)  # 422: one exists already (e.g. created by a killed run)
                if existing:
                    return existing
                if draft and "draft" in (_message(exc) + str(exc.data)).lower():
                    return _pull_request(self._repo.create_pull(base=base, head=head, title=title, body=body, draft=False))
                raise

        return self._call(f"opening a pull request from {head}", create, lambda: self._find_pull(head))

    def update_pull_request(self, number: int, body: str) -> None:
        self._call(f"updating pull request #{number}", lambda: self._repo.get_pull(number).edit(body=body))

    def create_review(
        self, number: int, commit_sha: str, event: ReviewEvent, body: str, comments: list[ReviewComment]
    ) -> None:
        pr = self._repo.get_pull(number)
        commit = self._repo.get_commit(commit_sha)
        payload = [{"path": c.path, "line": c.line, "side": "RIGHT", "body": c.body} for c in comments]

        def lookup() -> bool | None:
            same = [r for r in self.list_reviews(number) if r.body.strip() == body.strip() and r.commit_id == commit_sha]
            return True if same else None

        self._call(f"posting a review on #{number}",
                   lambda: pr.create_review(commit=commit, body=body, event=event, comments=payload), lookup)

    def set_commit_status(self, sha: str, state: StatusState, context: str, description: str, target_url: str | None) -> None:
        kwargs: dict[str, Any] = {"state": state, "context": context, "description": description}
        if target_url:
            kwargs["target_url"] = target_url

        def lookup() -> bool | None:
            same = [s for s in self.commit_statuses(sha) if (s.context, s.state, s.description) == (context, state, description)]
            return True if same else None

        self._call(f"setting commit status {context}", lambda: self._repo.get_commit(sha).create_status(**kwargs), lookup)


def _pull_request(pr: Any) -> PullRequest:
    """A :class:`PullRequest` from PyGithub's object."""
    return PullRequest(number=pr.number, head=pr.head.ref, base=pr.base.ref, html_url=pr.html_url,
                       draft=bool(pr.draft), head_sha=pr.head.sha)

def _next_link(link: str) -> str | None:
    """The URL of ``rel="next"`` in a Link header, or None."""
    for part in link.split(","):
        if 'rel="next"' in part:
            return part.split(";", 1)[0].strip().strip("<>")
    return None


def _issue_from_json(data: dict) -> Issue:
    """An :class:`Issue` from the REST JSON of an issue (list or single)."""
    summary = data.get("issue_dependencies_summary")
    milestone = data.get("milestone") or {}
    return Issue(
        number=int(data["number"]), title=data.get("title") or "", body=data.get("body"),
        labels=tuple(label["name"] for label in data.get("labels") or [] if isinstance(label, dict)),
        author=(data.get("user") or {}).get("login", ""), state=data.get("state", "open"),
        html_url=data.get("html_url", ""), milestone=milestone.get("number") if isinstance(milestone, dict) else None,
        blocked_by_count=summary.get("blocked_by") if isinstance(summary, dict) else None,
        total_blocked_by=summary.get("total_blocked_by") if isinstance(summary, dict) else None,
    )
