"""What every handler gets: the forge, the repo config, templates, and how to build the loop; and the
two small values a route's preamble passes on (:class:`Skip`, :class:`PermissionCheck`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..contracts.config import RepoConfig
from ..contracts.forge import Forge, ForgeError, permission_at_least
from ..loop.deps import LoopDeps
from ..loop.outbox import Outbox
from .outcome import Outcome
from ..inputs.problems import Problem
from ..templates import Templates


@dataclass(frozen=True)
class HandlerContext:
    """Built by the entry point for one event.

    forge: None in a dry run without a token. config: the repo config from the default branch (the
    defaults when there is no file); config_problems: why it is invalid, when it is (then ``config``
    holds the defaults and nothing runs). loop_deps: builds the loop's dependencies on demand (it
    creates folders, so a dry run never calls it). bot_login: the account the action posts as.
    permissions: collaborator permissions this run has read (the router records its check here).
    outbox: where the handlers put what they write to GitHub (as data); the router flushes it when the
    handler returns, a handler flushes earlier where a write must land before what follows.
    """

    templates: Templates
    config: RepoConfig
    bot_login: str
    forge: Forge | None = None
    config_problems: list[Problem] = field(default_factory=list)
    config_source: str = ".github/workorder.yml"
    loop_deps: Callable[[], LoopDeps] | None = None
    dry_run: bool = False
    target_issue: int | None = None  # workflow_dispatch in a matrix job: the one work order to run
    permissions: dict[str, str] = field(default_factory=dict)  # login → level, as the route's check read it

    @cached_property
    def outbox(self) -> Outbox:
        """This event's :class:`~workorder.loop.outbox.Outbox` over :attr:`forge` (made on first use)."""
        return Outbox(self.forge)  # type: ignore[arg-type]  # None only in a dry run, which writes nothing

    def reason(self, code: str, **values: Any) -> str:
        """The words for reason ``code`` (rendered from templates/reason.txt.j2)."""
        return self.templates.render_line("reason.txt.j2", code=code, **values)

    def outcome(self, event: str, action: str | None, decision: str, code: str, **values: Any) -> Outcome:
        """An :class:`Outcome` with the reason ``code`` rendered into words."""
        issue = values.pop("issue_number", None)
        extra = {k: values.pop(k) for k in ("steps", "problems", "state", "matrix", "started") if k in values}
        return Outcome(
            event=event, action=action, decision=decision, reason_code=code,
            reason=self.reason(code, event=event, action=action, issue=issue, **values), issue=issue, **extra,
        )


@dataclass(frozen=True)
class Skip:
    """Why a route stops before its handler, from the payload and config alone: ``decision``
    (ignored, refused or invalid), reason ``code`` and the values its words need. The router renders
    it into an :class:`Outcome` naming ``issue`` (or, when None, the issue the payload is about)."""

    decision: str
    code: str
    values: dict[str, Any] = field(default_factory=dict)
    issue: int | None = None


def ignored(code: str, **values: Any) -> Skip:
    """A :class:`Skip` with decision ``ignored``."""
    return Skip("ignored", code, values)


def refused(code: str, **values: Any) -> Skip:
    """A :class:`Skip` with decision ``refused``."""
    return Skip("refused", code, values)


@dataclass(frozen=True)
class PermissionCheck:
    """The answer to "may ``login`` act here": its collaborator ``permission`` (None when the API call
    failed; then ``error`` holds GitHub's words, at most 200 characters) and the ``minimum`` it needs."""

    login: str
    minimum: str
    permission: str | None = None
    error: str | None = None

    @property
    def granted(self) -> bool:
        """True when the permission is known and at least ``minimum`` (an API error fails closed)."""
        return self.permission is not None and permission_at_least(self.permission, self.minimum)


def check_permission(forge: Forge, login: str, minimum: str) -> PermissionCheck:
    """Ask GitHub (one request) for ``login``'s collaborator permission. Never raises: a
    :class:`ForgeError` becomes a check with ``permission`` None and the error's words."""
    try:
        return PermissionCheck(login, minimum, forge.collaborator_permission(login))
    except ForgeError as exc:
        return PermissionCheck(login, minimum, error=str(exc)[:200])
