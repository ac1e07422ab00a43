"""``issues`` ``labeled`` / ``unlabeled``: the trigger label starts a work order; state labels are
guarded so that only permitted people make changes the transition table allows."""

from __future__ import annotations

from ..events import IssuesEvent, is_bot
from ..forge import ForgeError, Issue, permission_at_least
from ..loop import branch_name
from ..outcome import Outcome
from ..problems import InvalidInput
from ..state import INTERRUPTED, STARTABLE, Handoff, IllegalTransition, LabelNames, State, check_transition
from ..workorder import parse_work_order_body
from .commands import approve, approve_refusal
from .context import HandlerContext
from .milestones import start_ready_dependents
from .session import Session, run_work_order

EVENT = "issues"


def handle_issue_labeled(event: IssuesEvent, ctx: HandlerContext) -> Outcome:
    """React to a label added to or removed from an issue. Returns what was decided (a plan in a dry run).

    The trigger label: ignore bots; refuse senders below the configured permission (fail closed on an
    API error); re-read the issue (a re-run must see the labels as they are now); an invalid work
    order gets the tracking comment listing every problem and ``invalid``; else the loop runs (or
    resumes an interrupted run). A state label: see :func:`guard_state_label`.
    """
    cfg = ctx.config
    n = event.issue.number
    sender = event.sender.login

    def out(decision: str, code: str, **values: object) -> Outcome:
        return ctx.outcome(EVENT, event.action, decision, code, issue_number=n, **values)

    if is_bot(event.sender, ctx.bot_login, cfg.allowed_bots):
        return out("ignored", "bot_sender", sender=sender)
    label = event.label.name if event.label else ""
    names = LabelNames(cfg.label_prefix, cfg.trigger)
    if event.action == "unlabeled" or label != cfg.trigger:
        if names.state_of(label) is None or label == cfg.trigger:
            return out("ignored", "not_trigger_label", label=label, trigger=cfg.trigger)
        if ctx.dry_run or ctx.forge is None:
            return out("plan", "guard_label", label=label, steps=[{"step": "check_state_label", "label": label}])
        return guard_state_label(event, ctx, label)
    if ctx.dry_run or ctx.forge is None:
        return _plan(event, ctx)
    forge = ctx.forge
    try:
        permission = forge.collaborator_permission(sender)
    except ForgeError as exc:
        return out("refused", "permission_error", sender=sender, detail=str(exc)[:200])
    if not permission_at_least(permission, cfg.min_permission):
        reason = ctx.reason("permission", sender=sender, permission=permission, minimum=cfg.min_permission)
        forge.create_comment(n, ctx.templates.render("refused.md.j2", sender=sender, reason=reason))
        return out("refused", "permission", sender=sender, permission=permission, minimum=cfg.min_permission)

    issue = forge.get_issue(n)
    if issue.state != "open":
        return out("ignored", "issue_closed")
    session = Session.load(ctx, n, issue.labels)
    current = session.current
    interrupted = current in INTERRUPTED
    if cfg.trigger not in issue.labels and not interrupted:
        return out("ignored", "label_gone", trigger=cfg.trigger, state_name=current.value if current else "none")
    if current not in STARTABLE and current is not State.NEEDS_ANSWER and not interrupted:
        if cfg.trigger in issue.labels:
            forge.remove_label(n, cfg.trigger)
        return out("ignored", "already_done", state_name=current.value if current else "none")
    result = run_work_order(session, issue)
    if result.code == "no_runner":
        return out("error", "no_runner")
    if result.decision == "invalid":
        return out("invalid", result.code, source=ctx.config_source, count=len(result.problems), problems=result.problems)
    if result.decision == "waiting":
        return out("done", "waiting", waiting_for=result.state.waiting_for, state=result.state)
    if result.state.state is State.PASSED:
        start_ready_dependents(ctx, issue.number)
    return Outcome(event=EVENT, action=event.action, decision="done", reason_code="ran",
                   reason=ctx.reason("ran", state_name=result.state.state.value), issue=n, state=result.state)


# State labels a permitted person may set by hand (when the table allows the move). Others have side
# effects (running, review, passed need the loop; invalid needs the parser) and are put back.
MANUAL_TARGETS = frozenset({State.BLOCKED, State.CHANGES_REQUESTED, State.APPROVED})


def guard_state_label(event: IssuesEvent, ctx: HandlerContext, label: str) -> Outcome:
    """A person added or removed a state label. An added label is kept when the sender has the
    configured permission, the target is one people may set (:data:`MANUAL_TARGETS`) and the
    transition table allows the move; ``approved`` must also pass the checks of ``/wo approve``.
    Anything else, and any removal of the current state label, is put back with a comment."""
    cfg = ctx.config
    n = event.issue.number
    session = Session.load(ctx, n, tuple(x.name for x in event.issue.labels))
    state = session.state
    names = session.tracker.names
    if state is None:
        return ctx.outcome(EVENT, event.action, "ignored", "not_started", issue_number=n)
    target = names.state_of(label)
    assert target is not None
    if event.action == "labeled" and target is state.state:
        return ctx.outcome(EVENT, event.action, "ignored", "label_matches", issue_number=n, label=label)
    if event.action == "unlabeled" and target is not state.state:
        return ctx.outcome(EVENT, event.action, "ignored", "label_matches", issue_number=n, label=label)
    permitted = session.may(event.sender.login, cfg.min_permission)
    reason = "permission" if not permitted else "removed" if event.action == "unlabeled" else None
    if reason is None:
        try:
            check_transition(state.state, target)
            reason = None if target in MANUAL_TARGETS else "use_command"
        except IllegalTransition:
            reason = "illegal"
    if reason is None and target is State.APPROVED:
        reason = approve_refusal(session) or approve(session, event.sender.login)[0]
    if reason is None:
        if target is not State.APPROVED:
            session.tracker.set_state(state, target)
            if target is State.BLOCKED:
                state.handoff = Handoff(reason="aborted", pending=[f for f in state.findings if f.severity.value != "MINOR"])
            session.publish(state)
        return ctx.outcome(EVENT, event.action, "done", "label_accepted", issue_number=n, label=label)
    forge = session.forge
    if event.action == "labeled":
        forge.remove_label(n, label)
    else:
        forge.add_label(n, names.label(state.state))
    forge.create_comment(n, ctx.templates.render(
        "label_reverted.md.j2", sender=event.sender.login, label=label, action=event.action, reason=reason,
        state=state.state.value, minimum=cfg.min_permission, prefix=cfg.command_prefix))
    return ctx.outcome(EVENT, event.action, "refused", "label_reverted", issue_number=n, label=label)


def _plan(event: IssuesEvent, ctx: HandlerContext) -> Outcome:
    """The dry-run plan: every step the real run would take, from the payload alone (no API calls)."""
    cfg = ctx.config
    n = event.issue.number
    steps: list[dict[str, object]] = [
        {"step": "check_permission", "sender": event.sender.login, "minimum": cfg.min_permission},
        {"step": "read_issue", "issue": n},
    ]
    if ctx.config_problems:
        problems = [p.model_dump() for p in ctx.config_problems]
        steps.append({"step": "report_invalid_config", "label": f"{cfg.label_prefix}{State.BLOCKED.value}"})
        return ctx.outcome(EVENT, event.action, "plan", "invalid_config", issue_number=n, steps=steps,
                           problems=problems, source=ctx.config_source, count=len(problems))
    try:
        order = parse_work_order_body(event.issue.body)
    except InvalidInput as exc:
        problems = [p.model_dump() for p in exc.problems]
        steps.append({"step": "comment_problems", "label": f"{cfg.label_prefix}{State.INVALID.value}"})
        return ctx.outcome(EVENT, event.action, "plan", "invalid_work_order", issue_number=n, steps=steps,
                           problems=problems, count=len(problems))
    branch = branch_name(cfg.branch_prefix, Issue(number=n, title=event.issue.title, body=None, labels=(), author=""))
    steps += [
        {"step": "set_state", "label": f"{cfg.label_prefix}{State.RUNNING.value}"},
        {"step": "create_branch", "branch": branch, "from": event.repository.default_branch},
        {"step": "run_se_runner", "command": cfg.runner.command, "timeout_s": cfg.runner.timeout},
        {"step": "run_verify", "commands": [*cfg.verify, *order.verify]},
        {"step": "po_gates", "max_cycles": cfg.max_cycles},
        {"step": "push_and_open_draft_pr", "branch": branch, "base": event.repository.default_branch},
        {"step": "post_review_and_commit_status", "context": "workorder/verdict"},
    ]
    return ctx.outcome(EVENT, event.action, "plan", "would_run", issue_number=n, steps=steps, branch=branch)
