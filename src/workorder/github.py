"""The forge interface over GitHub's REST API, through PyGithub. The only module that imports it.

Endpoints (docs.github.com/en/rest): issues, labels, issue comments, pulls, pull request reviews,
commit statuses, and ``GET /repos/{owner}/{repo}/collaborators/{username}/permission``.
Lists are paginated with per_page=100. Objects are lazy, so no call is made until data is needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import RateLimitExceededExceedsMaxWait, UnknownObjectException

from .forge import Comment, ForgeError, Issue, LabelSpec, PullRequest, ReviewComment, ReviewEvent, StatusState

DEFAULT_API_URL = "https://api.github.com"
NON_IDEMPOTENT = frozenset({"POST", "PATCH"})


class WorkorderRetry(GithubRetry):
    """PyGithub's retry policy, made safe for creates and bounded in time.

    * Rate limits (403 with a rate-limit message, 429) are retried after ``Retry-After``, else until
      the reset time; any single wait over ``max_wait_s`` seconds, or waits adding up to more than
      that, raise instead of sleeping (the run fails and can be re-run).
    * 5xx responses are retried with exponential backoff, but only for GET, PUT and DELETE: a POST or
      PATCH that failed with 5xx may have been applied, so it is never blindly repeated. The caller
      looks the object up first (a PR by its head branch, a comment by its marker) instead.
    ``sleep`` is injectable so tests never wait.
    """

    def __init__(self, max_wait_s: float = 300.0, waited_s: float = 0.0, sleep: Callable[[float], None] = time.sleep, **kwargs: Any):
        self.max_wait_s = max_wait_s
        self.waited_s = waited_s
        self._sleep_fn = sleep
        kwargs.setdefault("total", 5)
        kwargs.setdefault("backoff_factor", 1.0)
        kwargs.setdefault("status_forcelist", [429, *range(500, 600)])
        kwargs.setdefault("max_rate_limit_wait", max_wait_s)
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> WorkorderRetry:
        kw.update(max_wait_s=self.max_wait_s, waited_s=self.waited_s, sleep=self._sleep_fn)
        return super().new(**kw)  # type: ignore[return-value]

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() in NON_IDEMPOTENT and status_code >= 500:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # type: ignore[override]
        if response is not None and response.status in (403, 429):
            after = response.headers.get("Retry-After")
            if after and after.strip().isdigit() and self.waited_s + float(after) > self.max_wait_s:
                raise RateLimitExceededExceedsMaxWait(response.status, {"message": "rate limit wait too long"}, response.headers, wait=float(after))  # type: ignore[call-arg]
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = retry.get_retry_after(response) if response is not None else None
        if wait:
            retry.waited_s = self.waited_s + wait
        return retry

    def sleep(self, response: Any = None) -> None:
        wait = self.get_retry_after(response) if response is not None and self.respect_retry_after_header else None
        if wait:
            self._sleep_fn(wait)
        else:
            backoff = self.get_backoff_time()
            if backoff > 0:
                self._sleep_fn(backoff)


def _error(exc: GithubException, what: str) -> ForgeError:
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    return ForgeError(f"GitHub refused {what}: {exc.status} {message or ''}".strip(), status=exc.status)


class GitHubForge:
    """A :class:`workorder.forge.Forge` for one repository.

    Takes a token (never logged), ``owner/name``, the API base URL (``$GITHUB_API_URL``, for GitHub
    Enterprise Server), and throttling in seconds between requests and between writes (GitHub asks
    for about one second between writes; tests pass 0). Raises :class:`ForgeError` on refusals.
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
            retry=retry or WorkorderRetry(),
            lazy=True,
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
        )
        self._repo = self._gh.get_repo(repository)
        self.repository = repository

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except GithubException as exc:
            raise _error(exc, what) from None
        except requests.RequestException as exc:  # retries exhausted, connection errors
            raise ForgeError(f"GitHub did not answer {what}: {type(exc).__name__}") from None

    def _call_raw(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; transport errors become ForgeError, GitHub's refusals stay GithubException."""
        try:
            return fn()
        except requests.RequestException as exc:
            raise ForgeError(f"GitHub did not answer: {type(exc).__name__}") from None

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
                if exc.status != 422:  # 422: it exists already
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
        comment = self._call(f"commenting on #{number}", lambda: self._repo.get_issue(number).create_comment(body))
        return Comment(id=comment.id, author=comment.user.login if comment.user else "", body=body)

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        self._call(f"editing comment {comment_id}", lambda: self._repo.get_issue(number).get_comment(comment_id).edit(body))

    def add_reaction(self, number: int, comment_id: int, content: str) -> None:
        self._call(f"reacting to comment {comment_id}",
                   lambda: self._repo.get_issue(number).get_comment(comment_id).create_reaction(content))

    def get_pull_request(self, number: int) -> PullRequest:
        def fetch() -> PullRequest:
            pr = self._repo.get_pull(number)
            return PullRequest(number=pr.number, head=pr.head.ref, base=pr.base.ref, html_url=pr.html_url,
                               draft=bool(pr.draft), head_sha=pr.head.sha)

        return self._call(f"reading pull request #{number}", fetch)

    def list_review_comments(self, number: int, review_id: int) -> list[ReviewComment]:
        def fetch() -> list[ReviewComment]:
            return [
                ReviewComment(path=c.path, line=c.line or c.original_line or 0, body=c.body or "")
                for c in self._repo.get_pull(number).get_single_review_comments(review_id)
            ]

        return self._call(f"reading the comments of review {review_id}", fetch)

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

    def find_pull_request(self, head: str) -> PullRequest | None:
        owner = self.repository.split("/", 1)[0]

        def fetch() -> PullRequest | None:
            for pr in self._repo.get_pulls(state="all", head=f"{owner}:{head}"):
                return PullRequest(number=pr.number, head=pr.head.ref, base=pr.base.ref, html_url=pr.html_url,
                                   draft=bool(pr.draft), head_sha=pr.head.sha)
            return None

        return self._call(f"looking up the pull request of {head}", fetch)

    def create_pull_request(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        try:
            pr = self._call_raw(lambda: self._repo.create_pull(base=base, head=head, title=title, body=body, draft=draft))
        except GithubException as exc:
            existing = self.find_pull_request(head) if exc.status == 422 or (exc.status or 0) >= 500 else None
            if existing:
                return existing
            message = str(exc.data.get("message", "")) if isinstance(exc.data, dict) else ""
            if draft and exc.status == 422 and "draft" in (message + str(exc.data)).lower():
                return self.create_pull_request(head, base, title, body, draft=False)
            raise _error(exc, f"opening a pull request from {head}") from None
        return PullRequest(number=pr.number, head=head, base=base, html_url=pr.html_url, draft=draft)

    def update_pull_request(self, number: int, body: str) -> None:
        self._call(f"updating pull request #{number}", lambda: self._repo.get_pull(number).edit(body=body))

    def create_review(
        self, number: int, commit_sha: str, event: ReviewEvent, body: str, comments: list[ReviewComment]
    ) -> None:
        pr = self._repo.get_pull(number)
        commit = self._repo.get_commit(commit_sha)
        payload = [{"path": c.path, "line": c.line, "side": "RIGHT", "body": c.body} for c in comments]
        self._call(
            f"posting a review on #{number}",
            lambda: pr.create_review(commit=commit, body=body, event=event, comments=payload),
        )

    def set_commit_status(self, sha: str, state: StatusState, context: str, description: str, target_url: str | None) -> None:
        kwargs: dict[str, Any] = {"state": state, "context": context, "description": description}
        if target_url:
            kwargs["target_url"] = target_url
        self._call(f"setting commit status {context}", lambda: self._repo.get_commit(sha).create_status(**kwargs))


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
    )
