"""The narrow interface the loop needs from a forge (GitHub, local files, or a fake in tests).

Implementations: :class:`workorder.github.forge.GitHubForge` (REST through PyGithub) and
:class:`workorder.local.forge.LocalForge` (a JSON file, for the CLI loop and the demo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

PERMISSION_ORDER = ("none", "read", "triage", "write", "maintain", "admin")


def permission_at_least(actual: str, minimum: str) -> bool:
    """True when collaborator permission ``actual`` is at least ``minimum`` (none < read < triage <
    write < maintain < admin). An unknown value counts as none."""
    rank = {name: i for i, name in enumerate(PERMISSION_ORDER)}
    return rank.get(actual, 0) >= rank[minimum]


@dataclass(frozen=True)
class Issue:
    """An issue as it is now: number, title, body (None if empty), label names, author login, state."""

    number: int
    title: str
    body: str | None
    labels: tuple[str, ...]
    author: str
    state: str = "open"
    html_url: str = ""
    milestone: int | None = None
    blocked_by_count: int | None = None  # from GitHub's issue_dependencies_summary; None: unknown
    total_blocked_by: int | None = None  # the same summary's count of open and closed blockers
    comment_count: int | None = None  # GitHub's ``comments`` of the issue as read; None: unknown


@dataclass(frozen=True)
class Comment:
    """An issue comment: its id, author login and body."""

    id: int
    author: str
    body: str


@dataclass(frozen=True)
class PullRequest:
    """A pull request: number, head branch, base branch, web URL, whether it is a draft, its state (open or
    closed) and whether it was merged."""

    number: int
    head: str
    base: str
    html_url: str = ""
    draft: bool = True
    head_sha: str | None = None
    state: str = "open"
    merged: bool = False


@dataclass(frozen=True)
class ReviewComment:
    """An inline review comment on the new side of the diff at ``path``:``line``."""

    path: str
    line: int
    body: str


@dataclass(frozen=True)
class LabelSpec:
    """A label to create when missing: name, colour (6 hex digits), description (≤ 100 chars)."""

    name: str
    color: str
    description: str = ""


@dataclass(frozen=True)
class Review:
    """A pull request review: id, author login, body, the commit it reviewed, its state (COMMENTED, …)."""

    id: int
    author: str
    body: str
    commit_id: str
    state: str = ""


@dataclass(frozen=True)
class CommitStatus:
    """The latest status of one context on a commit: context, state, description."""

    context: str
    state: str
    description: str = ""


ReviewEvent = Literal["COMMENT", "REQUEST_CHANGES"]
StatusState = Literal["pending", "success", "failure", "error"]


class Forge(Protocol):
    """What the loop and the handlers may do on the forge. Every method may raise
    :class:`ForgeError` when the forge refuses or fails."""

    def get_issue(self, number: int) -> Issue:
        """The issue as it is now."""

    def collaborator_permission(self, login: str) -> str:
        """The login's permission on the repository: admin, maintain, write, triage, read or none."""

    def list_repo_labels(self) -> list[str]:
        """Names of all labels defined in the repository."""

    def create_label(self, spec: LabelSpec) -> None:
        """Create a repository label (no error if it already exists)."""

    def add_label(self, number: int, name: str) -> None:
        """Add one label to an issue or pull request."""

    def remove_label(self, number: int, name: str) -> None:
        """Remove one label (no error if it is not there)."""

    def write_labels(self, number: int, names: tuple[str, ...], *, replace: bool,
                     styles: tuple[LabelSpec, ...] = ()) -> list[LabelSpec]:
        """In one request, make ``names`` the issue's whole label set (``replace``) or add them; a label
        that does not exist yet is created, with its style from ``styles`` when there. Returns the
        issue's labels then."""

    def list_comments(self, number: int) -> list[Comment]:
        """All comments of an issue, oldest first."""

    def create_comment(self, number: int, body: str) -> Comment:
        """Post a comment; returns it."""

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        """Replace a comment's body."""

    def add_reaction(self, number: int, comment_id: int, content: str) -> None:
        """Add a reaction (e.g. ``eyes``) to an issue comment."""

    def get_pull_request(self, number: int) -> PullRequest:
        """A pull request as it is now, with its head commit SHA."""

    def list_review_comments(self, number: int, review_id: int) -> list[ReviewComment]:
        """The inline comments of one review of a pull request."""

    def list_issues(self, milestone: int | None = None, labels: tuple[str, ...] = (), state: str = "open") -> list[Issue]:
        """Issues (not pull requests) in ``state``, filtered by milestone number and labels."""

    def blocked_by(self, number: int) -> list[Issue]:
        """The issues GitHub's native dependencies say ``number`` is blocked by ([] when none)."""

    def find_milestone(self, title_or_number: str) -> tuple[int, str] | None:
        """(number, title) of the milestone with that title or number, or None."""

    def create_issue(self, title: str, body: str, labels: tuple[str, ...] = ()) -> Issue:
        """Open an issue; returns it."""

    def edit_issue_body(self, number: int, body: str) -> None:
        """Replace an issue's body."""

    def pin_issue(self, number: int) -> None:
        """Pin an issue to the repository (best effort)."""

    def find_pull_request(self, head: str) -> PullRequest | None:
        """The pull request (any state) whose head is branch ``head`` of this repository, if any."""

    def create_pull_request(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        """Open a pull request; returns it."""

    def list_branches(self, prefix: str) -> list[str]:
        """The names of the repository's branches that start with ``prefix`` (e.g. ``wo/``)."""

    def delete_branch(self, name: str) -> None:
        """Delete branch ``name`` of the repository."""

    def update_pull_request(self, number: int, body: str) -> None:
        """Replace a pull request's body."""

    def create_review(
        self, number: int, commit_sha: str, event: ReviewEvent, body: str, comments: list[ReviewComment]
    ) -> None:
        """Post a review on a pull request at ``commit_sha``, with inline comments."""

    def list_reviews(self, number: int) -> list[Review]:
        """Every review of pull request ``number``, oldest first."""

    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        """The latest status of each context on commit ``sha`` (the combined status)."""

    def set_commit_status(self, sha: str, state: StatusState, context: str, description: str, target_url: str | None) -> None:
        """Set a commit status on ``sha``."""


class ForgeError(Exception):
    """The forge refused or failed a request. ``status`` is the HTTP status when there was one;
    ``transient`` is True when the same request may succeed later (5xx, rate limits, no answer:
    the run is resumable), False when it was refused (401, 403, 404, 422: a person must fix something);
    ``call`` names the request (e.g. ``posting a review on #7``)."""

    def __init__(self, message: str, status: int | None = None, *, transient: bool = False, call: str = ""):
        super().__init__(message)
        self.status = status
        self.transient = transient
        self.call = call

