"""Event payload models: only the fields workorder reads, validated; everything else is ignored.

Formats: GitHub's "Webhook events and payloads" docs (the same payload Actions puts at
``$GITHUB_EVENT_PATH``), e.g. https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class User(_Payload):
    """An account: its ``login`` and ``type`` (User, Bot or Organization)."""

    login: str
    type: str = "User"


class LabelRef(_Payload):
    """A label as it appears in a payload."""

    name: str


class IssuePayload(_Payload):
    """The ``issue`` object of an ``issues`` event."""

    number: int = Field(ge=1)
    title: str
    body: str | None = None
    labels: list[LabelRef] = Field(default_factory=list)
    user: User
    state: str = "open"


class RepositoryRef(_Payload):
    """The ``repository`` object: ``full_name`` (owner/name) and ``default_branch``."""

    full_name: str
    default_branch: str = "main"


class IssuesEvent(_Payload):
    """An ``issues`` event payload (actions: labeled, edited, closed, …)."""

    action: str
    issue: IssuePayload
    label: LabelRef | None = None
    repository: RepositoryRef
    sender: User


def is_bot(user: User, bot_login: str) -> bool:
    """True for the action's own account and any bot (type Bot or a login ending in ``[bot]``)."""
    return user.type == "Bot" or user.login.endswith("[bot]") or user.login == bot_login
