"""What every slash-command module shares: the :class:`Command` row, the :class:`CommandCall` a
handler gets and the :class:`CommandResult` it returns.

Legality comes from the transition table (``target``) plus each command's own precondition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..slash import ParsedCommand
from ...contracts.forge import Comment, Issue, permission_at_least
from ...loop.outbox import Outbox
from ...loop.state import TRANSITIONS, State
from ..session import RunResult, Session

RETRYABLE = frozenset({"crash", "timeout", "no_packet", "bad_packet", "error", "budget", "budget_exhausted"})


@dataclass
class CommandCall:
    """One command to run: the loaded session, the parsed command, the comment it came from, the
    number of the thread (issue or PR) it was posted on, every known command (for help and status)
    and the run's :class:`~workorder.loop.outbox.Outbox` (a command writes to GitHub through it)."""

    session: Session
    command: ParsedCommand
    comment: Comment
    thread: int
    commands: tuple[Command, ...] = ()
    outbox: Outbox | None = None
    issue: Issue | None = None

    def get_issue(self) -> Issue:
        """The work order issue as it is now (asked once)."""
        if self.issue is None:
            self.issue = self.session.forge.get_issue(self.session.number)
        return self.issue


@dataclass(frozen=True)
class CommandResult:
    """What a command did: ``accepted`` or refused, a result ``code`` (worded by the command's own
    reply template, or command_reply.md.j2 for the codes every command shares) and the values the
    text needs."""

    accepted: bool
    code: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """A slash-command's row: ``verb``, ``usage``, one-line ``summary``, ``examples``; ``permission``
    is "read" or "config" (the repo's ``min_permission``); ``target`` is the state it moves to (None:
    no move); ``handler`` runs it; ``lane`` is "loop" (waits for the issue's running loop) or "now";
    ``acknowledged``: a 👀 reaction as soon as it arrives; ``claimed``: the run claims it on GitHub
    before running it (it acts); ``reply``: the template wording its own ``codes`` (None: it has
    none); ``order``: its place in ``/wo help``.

    ``verb``, ``lane`` and ``acknowledged`` are also module-level literals of the command's module
    (``VERB``, ``LANE``, ``ACKNOWLEDGED``), which the stdlib route step reads with :mod:`ast`
    (:mod:`workorder.handlers.command_table`)."""

    verb: str
    usage: str
    summary: str
    examples: tuple[str, ...]
    permission: str
    target: State | None
    handler: Callable[[CommandCall], CommandResult]
    precondition: Callable[[Session], str | None] = lambda session: None
    lane: str = "now"
    acknowledged: bool = False
    claimed: bool = False
    reply: str | None = None
    codes: tuple[str, ...] = ()
    order: int = 100

    def minimum(self, config_minimum: str) -> str:
        """The permission this command needs: read, the config's minimum (``permission`` "config"), or
        for a maintainer's command (e.g. "maintain") the higher of its own and the config's."""
        if self.permission in ("read", "config"):
            return "read" if self.permission == "read" else config_minimum
        return config_minimum if permission_at_least(config_minimum, self.permission) else self.permission

    def refusal(self, session: Session) -> str | None:
        """Why the command is illegal now (a reason code), or None when it is legal."""
        current = session.current
        if self.target is not None and self.target not in TRANSITIONS[current]:
            return "illegal_state"
        return self.precondition(session)


def summary(session: Session) -> dict[str, Any]:
    """The state values help and status replies show: ``state`` (its name) and ``s`` (the state)."""
    s = session.state
    return {"state": s.state.value if s else "not started", "s": s}


def ran(result: RunResult) -> CommandResult:
    """The result of a command that ran the work order, from its
    :class:`~workorder.handlers.session.RunResult` (``decision``, ``code``, ``problems``, ``state``)."""
    if result.code == "budget_exhausted":  # stopped before any agent ran: a cap across runs is spent
        failure = result.state.failure if result.state is not None else None
        detail = result.problems[0]["message"] if result.problems else (failure.detail if failure else "")
        return CommandResult(False, result.code, {"s": result.state, "detail": detail})
    if result.decision in ("invalid", "refused"):
        return CommandResult(False, result.code, {"problems": result.problems, "blockers": result.state.scope_blockers})
    return CommandResult(True, "ran", {"state": result.state.state.value, "s": result.state})
