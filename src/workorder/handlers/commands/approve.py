"""``/wo approve [sha]``: the human final gate, bound to the PR's head commit."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult, ran
from ...loop.outbox import Outbox
from ...loop.verdict_status import set_approved
from ...loop.state import State
from ..session import Session, run_work_order

VERB = "approve"
LANE = "now"
ACKNOWLEDGED = True


def approve_refusal(session: Session) -> str | None:
    """Why an approval is not possible now (a refusal code), or None."""
    s = session.state
    if s is None or s.verdict != "PASS" or not s.pr_number or session.current is not State.PASSED:
        return "not_passed"
    return None


def approve(session: Session, login: str, sha: str = "", outbox: Outbox | None = None) -> tuple[str | None, str]:
    """Approve the PR's current head commit for ``login``; ``sha`` (optional, at least 7 characters)
    must be a prefix of that head. The PO verdict PASS must be for that very head. Sets the commit
    status success (after flushing ``outbox``, through :func:`workorder.loop.verdict_status.set_approved`) and the state approved. Returns
    (None when approved else a refusal code, head SHA). Raises ForgeError when GitHub refuses."""
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
    if outbox is not None:
        outbox.flush()  # what the command queued lands before the status, as it was written
    set_approved(session.forge, session.ctx.templates, s, head)  # the one writer of the verdict status
    session.publish(s)
    return None, head


def approvable(session: Session) -> str | None:
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
    return ran(run_work_order(session, call.get_issue(), command_id=call.comment.id))


def cmd_approve(call: CommandCall) -> CommandResult:
    """Approve the head (or the SHA given) for the comment's author; in state plan, approve the plan."""
    if call.session.current is State.PLAN:
        return approve_plan(call)
    words = call.command.args.split()
    wanted = words[0].lower() if words else ""
    refusal, head = approve(call.session, call.comment.author, wanted, call.outbox)
    reviewed = call.session.state.head_sha if call.session.state else ""
    return CommandResult(refusal is None, refusal or "approved", {"sha": wanted, "head": head, "reviewed": reviewed or ""})


COMMAND = Command(VERB, "approve [sha]", "approve the PR's head commit (the human final gate), or the runner's plan "
                  "(plan first: the work starts)", ("/wo approve", "/wo approve 1a2b3c4"), "config", None, cmd_approve,
                  approvable,
                  lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True, reply="command_approve.md.j2",
                  codes=("approved", "not_passed", "approve_wrong_sha", "approve_stale"), order=60)
