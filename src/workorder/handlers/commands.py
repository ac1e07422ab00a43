"""The slash-commands. Each command's metadata (usage, who may use it, examples) sits next to its
function, in the one list :data:`COMMANDS`; ``/wo help`` is generated from that list.

Legality comes from the transition table (``target``) plus each command's own precondition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .slash import ParsedCommand
from ..contracts.packet import Verdict
from ..contracts.forge import PERMISSION_ORDER, Comment, Issue
from ..loop.state import STARTABLE, TRANSITIONS, Handoff, State
from ..loop.state import STATUS_CONTEXT
from .route import LOOP_VERBS
from .session import Session, run_work_order

RETRYABLE = frozenset({"crash", "timeout", "no_packet", "bad_packet", "error", "budget"})


@dataclass
class CommandCall:
    """One command to run: the loaded session, the parsed command, the comment it came from and the
    number of the thread (issue or PR) it was posted on."""

    session: Session
    command: ParsedCommand
    comment: Comment
    thread: int
    issue: Issue | None = None

    def get_issue(self) -> Issue:
        """The work order issue as it is now (asked once)."""
        if self.issue is None:
            self.issue = self.session.forge.get_issue(self.session.number)
        return self.issue


@dataclass(frozen=True)
class CommandResult:
    """What a command did: ``accepted`` or refused, a result ``code`` (templates/command_reply.md.j2)
    and the values the text needs."""

    accepted: bool
    code: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """A slash-command: ``verb``, ``usage``, one-line ``summary``, ``examples``; ``permission`` is
    "read" or "config" (the repo's ``min_permission``); ``target`` is the state it moves to (None: no
    move); ``handler`` runs it. Its :attr:`lane` comes from :data:`workorder.handlers.route.LOOP_VERBS`."""

    verb: str
    usage: str
    summary: str
    examples: tuple[str, ...]
    permission: str
    target: State | None
    handler: Callable[[CommandCall], CommandResult]
    precondition: Callable[[Session], str | None] = lambda session: None

    @property
    def lane(self) -> str:
        """"loop" when the command waits for the issue's running loop, else "now" (runs at once)."""
        return "loop" if self.verb in LOOP_VERBS else "now"

    def minimum(self, config_minimum: str) -> str:
        """The permission this command needs: read, the config's, or the higher of a named level
        (e.g. "maintain") and the config's."""
        if self.permission in ("read", "config"):
            return "read" if self.permission == "read" else config_minimum
        return max(self.permission, config_minimum, key=PERMISSION_ORDER.index)

    def refusal(self, session: Session) -> str | None:
        """Why the command is illegal now (a reason code), or None when it is legal."""
        current = session.current
        if self.target is not None and self.target not in TRANSITIONS[current]:
            return "illegal_state"
        return self.precondition(session)


def _summary(session: Session) -> dict[str, Any]:
    s = session.state
    return {"state": s.state.value if s else "not started", "s": s}


# -- help ------------------------------------------------------------------------------------------
def cmd_help(call: CommandCall) -> CommandResult:
    session = call.session
    legal = [c for c in COMMANDS if c.verb != "help" and c.refusal(session) is None]
    return CommandResult(True, "help", {"commands": COMMANDS, "legal": legal, **_summary(session),
                                        "prefix": session.ctx.config.command_prefix})


# -- status ----------------------------------------------------------------------------------------
def cmd_status(call: CommandCall) -> CommandResult:
    session = call.session
    if session.state is not None:
        session.publish(session.state)  # costs nothing when the comment is up to date
    legal = [c for c in COMMANDS if c.verb not in ("help", "status") and c.refusal(session) is None]
    return CommandResult(True, "status", {**_summary(session), "legal": legal,
                                          "prefix": session.ctx.config.command_prefix})


# -- start -----------------------------------------------------------------------------------------
def _startable(session: Session) -> str | None:
    if session.current in STARTABLE or session.current is State.NEEDS_ANSWER:
        return None
    return "illegal_state"


def cmd_start(call: CommandCall) -> CommandResult:
    return _ran(run_work_order(call.session, call.get_issue(), command_id=call.comment.id))


# -- fix -------------------------------------------------------------------------------------------
def fix_refusal(session: Session) -> str | None:
    """Why a human-driven fix cycle is not possible now (a refusal code), or None."""
    s = session.state
    if s is None or not s.pr_number:
        return "no_work_yet"
    if s.lock_broken:
        return "locked"
    if s.human_cycles >= session.ctx.config.max_human_cycles:
        return "human_cap"
    if session.current not in (State.PASSED, State.APPROVED, State.CHANGES_REQUESTED, State.BLOCKED):
        return "illegal_state"
    return None


def cmd_fix(call: CommandCall) -> CommandResult:
    return _ran(run_work_order(call.session, call.get_issue(), mode="fix", notes=call.command.args,
                               command_id=call.comment.id))


# -- retry -----------------------------------------------------------------------------------------
def _retryable(session: Session) -> str | None:
    s = session.state
    if s is None or s.failure is None or s.failure.kind not in RETRYABLE or session.current is not State.BLOCKED:
        return "nothing_to_retry"
    if s.lock_broken:
        return "locked"
    return None


def cmd_retry(call: CommandCall) -> CommandResult:
    return _ran(run_work_order(call.session, call.get_issue(), mode="retry", command_id=call.comment.id))


# -- approve ---------------------------------------------------------------------------------------
def approve_refusal(session: Session) -> str | None:
    """Why an approval is not possible now (a refusal code), or None."""
    s = session.state
    if s is None or s.verdict != "PASS" or not s.pr_number or session.current is not State.PASSED:
        return "not_passed"
    return None


def approve(session: Session, login: str, sha: str = "") -> tuple[str | None, str]:
    """Approve the PR's current head commit for ``login``; ``sha`` (optional, at least 7 characters)
    must be a prefix of that head. The PO verdict PASS must be for that very head. Sets the commit
    status success and the state approved. Returns (None when approved else a refusal code, head SHA)."""
    s = session.state
    assert s is not None and s.pr_number is not None
    if session.tampered():  # never a success status on a head a forged state names
        return "state_tampered", ""
    head = session.forge.get_pull_request(s.pr_number).head_sha or ""
    if sha and (len(sha) < 7 or not head.startswith(sha)):
        return "approve_wrong_sha", head
    if head != s.head_sha:
        return "approve_stale", head
    s.approved_sha, s.approved_by = head, login
    session.tracker.set_state(s, State.APPROVED)
    description = session.ctx.templates.render_line(
        "status_description.txt.j2", verdict=Verdict(verdict="PASS"), s=s, awaiting=False)
    session.forge.set_commit_status(head, "success", STATUS_CONTEXT, description[:140], s.run_url)
    session.publish(s)
    return None, head


def _approvable(session: Session) -> str | None:
    """``/wo approve``'s precondition: a plan waiting for approval (plan first), or a PASS to approve."""
    if session.current is State.PLAN and session.state is not None and session.state.plan is not None:
        return None
    return approve_refusal(session)


def approve_plan(call: CommandCall) -> CommandResult:
    """Plan first (:mod:`workorder.loop.plan_phase`): record who approved the plan in the tracking state,
    then start the execution with the plan in the prompt. Returns what the run did."""
    session = call.session
    assert session.state is not None
    if session.tampered():
        return CommandResult(False, "state_tampered")
    session.state.plan_approved_by = call.comment.author
    session.publish(session.state)  # the approval is durable before the work starts
    return _ran(run_work_order(session, call.get_issue(), command_id=call.comment.id))


def cmd_approve(call: CommandCall) -> CommandResult:
    if call.session.current is State.PLAN:
        return approve_plan(call)
    words = call.command.args.split()
    wanted = words[0].lower() if words else ""
    refusal, head = approve(call.session, call.comment.author, wanted)
    reviewed = call.session.state.head_sha if call.session.state else ""
    return CommandResult(refusal is None, refusal or "approved", {"sha": wanted, "head": head, "reviewed": reviewed or ""})


# -- abort -----------------------------------------------------------------------------------------
def _abortable(session: Session) -> str | None:
    return "not_started" if session.state is None else None


def cmd_abort(call: CommandCall) -> CommandResult:
    session = call.session
    s = session.state
    assert s is not None
    s.handoff = Handoff(reason="aborted", pending=[f for f in s.findings if f.severity.value != "MINOR"])
    session.tracker.set_state(s, State.BLOCKED)
    session.publish(s)
    return CommandResult(True, "aborted", {"branch": s.branch})


# -- answer ----------------------------------------------------------------------------------------
def _answerable(session: Session) -> str | None:
    return None if session.current is State.NEEDS_ANSWER else "no_question"


def cmd_answer(call: CommandCall) -> CommandResult:
    if not call.command.args:
        return CommandResult(False, "answer_empty")
    return _ran(run_work_order(call.session, call.get_issue(), mode="answer", notes=call.command.args,
                               command_id=call.comment.id))


# -- unlock ----------------------------------------------------------------------------------------
def _unlockable(session: Session) -> str | None:
    return None if session.state is not None and session.state.lock_broken else "not_locked"


def cmd_unlock(call: CommandCall) -> CommandResult:
    return _ran(run_work_order(call.session, call.get_issue(), command_id=call.comment.id))


# -- override-scope (path ownership, workorder.handlers.ownership) -----------------------------------
def cmd_override_scope(call: CommandCall) -> CommandResult:
    return _ran(run_work_order(call.session, call.get_issue(), command_id=call.comment.id,
                               override_scope=call.comment.author))


def _ran(result) -> CommandResult:
    if result.decision in ("invalid", "refused"):
        return CommandResult(False, result.code, {"problems": result.problems, "blockers": result.state.scope_blockers})
    return CommandResult(True, "ran", {"state": result.state.state.value, "s": result.state})


COMMANDS: tuple[Command, ...] = (
    Command("help", "help", "list the commands and what is legal now", ("/wo help",), "read", None, cmd_help),
    Command("status", "status", "refresh the tracking comment and reply with where the work order stands",
            ("/wo status",), "read", None, cmd_status),
    Command("start", "start", "start the work order (the same as adding the trigger label)", ("/wo start",),
            "config", State.RUNNING, cmd_start, _startable),
    Command("fix", "fix <notes>", "run a corrective cycle now, with your notes added to the corrective prompt",
            ("/wo fix also handle negative numbers",), "config", State.RUNNING, cmd_fix, fix_refusal),
    Command("retry", "retry", "run the failed phase again (after a runner crash or timeout)", ("/wo retry",),
            "config", State.RUNNING, cmd_retry, _retryable),
    Command("approve", "approve [sha]", "approve the PR's head commit (the human final gate), or the runner's plan "
            "(plan first: the work starts)", ("/wo approve", "/wo approve 1a2b3c4"), "config", None, cmd_approve,
            _approvable),
    Command("abort", "abort", "stop the loop; the branch and PR stay", ("/wo abort",), "config", State.BLOCKED,
            cmd_abort, _abortable),
    Command("answer", "answer <text>", "answer the runner's question and resume", ("/wo answer use integers",),
            "config", State.RUNNING, cmd_answer, _answerable),
    Command("unlock", "unlock", "accept the edited work order and restart from it", ("/wo unlock",), "config",
            State.RUNNING, cmd_unlock, _unlockable),
    Command("override-scope", "override-scope", "start the work order although its in_scope overlaps a running "
            "one's (path ownership)", ("/wo override-scope",), "maintain", State.RUNNING, cmd_override_scope, _startable),
)

BY_VERB = {c.verb: c for c in COMMANDS}
