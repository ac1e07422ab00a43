"""Event payload models: only the fields workorder reads, validated; everything else is ignored.

Formats: GitHub's "Webhook events and payloads" docs (the same payload Actions puts at
``$GITHUB_EVENT_PATH``), e.g. https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues
Issue and pull request numbers are at most ``MAX_ISSUE_NUMBER`` and ids at most ``MAX_ID``
(:mod:`workorder.inputs.bounded`), so a forged payload is refused naming the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..inputs.bounded import MAX_ID, MAX_ISSUE_NUMBER


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _valid_unicode(cls, value: Any) -> Any:
        """Text with a lone UTF-16 surrogate (valid JSON, ``"\\ud800"``, but not Unicode) gets U+FFFD
        in its place, so it can be parsed, rendered and written out as JSON again."""
        if isinstance(value, str):
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value


class User(_Payload):
    """An account: its ``login`` and ``type`` (User, Bot or Organization)."""

    login: str
    type: str = "User"


class LabelRef(_Payload):
    """A label as it appears in a payload."""

    name: str


class IssuePayload(_Payload):
    """The ``issue`` object of ``issues`` and ``issue_comment`` events (on a pull request it
    carries ``pull_request``)."""

    number: int = Field(ge=1, le=MAX_ISSUE_NUMBER)
    title: str = ""
    body: str | None = None
    labels: list[LabelRef] = Field(default_factory=list)
    user: User | None = None
    state: str = "open"
    pull_request: dict | None = None


class RepositoryRef(_Payload):
    """The ``repository`` object: ``full_name`` (owner/name) and ``default_branch``."""

    full_name: str
    default_branch: str = "main"


class IssuesEvent(_Payload):
    """An ``issues`` event payload (actions: labeled, unlabeled, edited, closed, …)."""

    action: str
    issue: IssuePayload
    label: LabelRef | None = None
    changes: dict | None = None
    repository: RepositoryRef
    sender: User


def is_bot(user: User, bot_login: str, allowed_bots: list[str] | tuple[str, ...] = ()) -> bool:
    """True for the action's own account, and for any other bot (type Bot or a login ending in
    ``[bot]``) not listed in ``allowed_bots``. The action's own account is ignored even if listed."""
    if user.login == bot_login:
        return True
    return (user.type == "Bot" or user.login.endswith("[bot]")) and user.login not in allowed_bots


class CommentPayload(_Payload):
    """The ``comment`` object of an ``issue_comment`` event."""

    id: int = Field(ge=1, le=MAX_ID)
    body: str | None = None
    user: User


class IssueCommentEvent(_Payload):
    """An ``issue_comment`` event payload (created, edited, deleted), on an issue or a pull request."""

    action: str
    issue: IssuePayload
    comment: CommentPayload
    repository: RepositoryRef
    sender: User


class RepoId(_Payload):
    """The ``repo`` of a pull request's head or base: its numeric ``id`` (null for a deleted fork)."""

    id: int | None = None


class BranchRef(_Payload):
    """``head`` or ``base`` of a pull request: branch name, commit SHA and the repository it is in."""

    ref: str
    sha: str = ""
    repo: RepoId | None = None


class PullRequestPayload(_Payload):
    """The ``pull_request`` object of pull request events."""

    number: int = Field(ge=1, le=MAX_ISSUE_NUMBER)
    head: BranchRef
    base: BranchRef
    body: str | None = None
    state: str = "open"
    # conversation comments when the event was sent (``pull_request`` events; a review's simple PR lacks it)
    comments: int | None = Field(default=None, ge=0, le=MAX_ID)


class ReviewPayload(_Payload):
    """The ``review`` object of a ``pull_request_review`` event."""

    id: int = Field(ge=1, le=MAX_ID)
    body: str | None = None
    state: str
    user: User
    commit_id: str | None = None


class PullRequestReviewEvent(_Payload):
    """A ``pull_request_review`` event payload (submitted, edited, dismissed)."""

    action: str
    review: ReviewPayload
    pull_request: PullRequestPayload
    repository: RepositoryRef
    sender: User


class PullRequestEvent(_Payload):
    """A ``pull_request`` event payload (synchronize: someone pushed to the head branch)."""

    action: str
    pull_request: PullRequestPayload
    before: str | None = None
    after: str | None = None
    repository: RepositoryRef
    sender: User




class DispatchEvent(_Payload):
    """A ``workflow_dispatch`` event payload: the ``inputs`` and the ``sender``."""

    inputs: dict = Field(default_factory=dict)
    sender: User
    repository: RepositoryRef | None = None
