"""``issues`` ``labeled`` / ``unlabeled``: the trigger label starts a work order; state labels are
guarded so that only permitted people make changes the transition table allows. Two routes
(:data:`workorder.handlers.router.ROUTES`): the trigger label (``is_trigger_label``; the router checks bots
and the sender's permission) and every other label (``state_label_target``)."""

from __future__ import annotations

from ..contracts.config import RepoConfig
from ..contracts.events import IssuesEvent
from ..contracts.forge import Issue
from ..loop.engine import branch_name, is_resumable
from ..loop.outbox import AddLabel, PostComment, RemoveLabel
from .outcome import Outcome
from ..inputs.problems import InvalidInput
from ..loop.state import (
    INTERRUPTED,
    STARTABLE,
    Handoff,
    IllegalTransition,
    LabelNames,
    State,
    check_transition,
)
from ..contracts.workorder import parse_work_order_body
from .comment import answer_waiting
from .commands import approve, approve_refusal
from .context import HandlerContext, PermissionCheck, Skip, ignored
from .milestones import board_view, refresh_board, start_ready_dependents
from .pr_thread import pr_comments
from .session import Session, run_work_order
from .order_lock import approved_issue

EVENT = "issues"


def is_trigger_label(event: IssuesEvent, config: RepoConfig) -> bool:
    """The route's ``when``: the trigger label was added (anything else is a state label's route)."""
    return event.action == "labeled" and event.label is not None and event.label.name == config.trigger


def refuse_trigger(event: IssuesEvent, ctx: HandlerContext, n: int, check: PermissionCheck) -> Outcome:
    """The sender may not start a work order: an API error refuses with its words (fail closed);
    too little permission gets the ``refused.md.j2`` comment on the issue (one request, queued on
    ``ctx.outbox``; the router writes it)."""
    cfg = ctx.config
    sender = check.login
    if check.permission is None:
        return ctx.outcome(EVENT, event.action, "refused", "permission_error", issue_number=n, sender=sender,
                           detail=check.error)
    reason = ctx.reason("permission", sender=sender, permission=check.permission, minimum=cfg.min_permission)
    ctx.outbox.queue(PostComment(n, ctx.templates.render("refused.md.j2", sender=sender, reason=reason)))
    return ctx.outcome(EVENT, event.action, "refused", "permission", issue_number=n, sender=sender,
                       permission=check.permission, minimum=cfg.min_permission)


def start_work_order(event: IssuesEvent, ctx: HandlerContext, n: int) -> Outcome:
    """The trigger label on issue ``n`` (the route has checked bots and the sender's permission):
    re-read the issue (a re-run must see the labels as they are now); an invalid work order gets the
    tracking comment listing every problem and ``invalid``; else the loop runs (or resumes a run that
    was interrupted or stopped by a transient GitHub failure: a workflow re-run). Returns what was done."""
    cfg = ctx.config
    assert ctx.forge is not None
    forge = ctx.forge

    def out(decision: str, code: str, **values: object) -> Outcome:
        return ctx.outcome(EVENT, event.action, decision, code, issue_number=n, **values)

    issue = forge.get_issue(n)
    if issue.state != "open":
        return out("ignored", "issue_closed")
    session = Session.load(ctx, n, issue.labels, issue.comment_count)  # no comments yet: none listed
    session.tracker.labels_read(issue.labels)  # just read: the first state change replaces them in one request
    current = session.current
    interrupted = current in INTERRUPTED or (session.state is not None and is_resumable(session.state))
    if cfg.trigger not in issue.labels and not interrupted:
        return out("ignored", "label_gone", trigger=cfg.trigger, state_name=current.value if current else "none")
    if current not in STARTABLE and current is not State.NEEDS_ANSWER and not interrupted:
        if cfg.trigger in issue.labels:
            ctx.outbox.queue(RemoveLabel(n, cfg.trigger))
        return out("ignored", "already_done", state_name=current.value if current else "none")
    before = board_view(session.state)
    issue = approved_issue(event, issue)
    known_pr = session.state.pr_number if session.state else None  # a PR this run opens has no backlog
    result = run_work_order(session, issue)
    refresh_board(ctx, n, before, result.state, issue)
    answer_waiting(session, pr_comments(session, known_pr))  # commands whose runs were dropped for it (#20 item 8)
    if result.decision == "refused":
        ctx.outbox.queue(PostComment(n, ctx.templates.render("run_refused.md.j2", code=result.code,
                                                             prefix=cfg.command_prefix,
                                                             blockers=result.state.scope_blockers)))
        return out("refused", result.code)
    if result.code == "no_runner":
        return out("error", "no_runner")
    if result.decision == "invalid":
        return out("invalid", result.code, source=ctx.config_source, count=len(result.problems), problems=result.problems)
    if result.decision == "waiting":
        return out("done", result.code, waiting_for=result.state.waiting_for or result.state.scope_blockers,
                   state=result.state)
    if result.state.state is State.PASSED:
        start_ready_dependents(ctx, issue.number)
    return Outcome(event=EVENT, action=event.action, decision="done", reason_code="ran",
                   reason=ctx.reason("ran", state_name=result.state.state.value), issue=n, state=result.state)


# State labels a permitted person may set by hand (when the table allows the move). Others have side
# effects (running, review, passed need the loop; invalid needs the parser) and are put back.
MANUAL_TARGETS = frozenset({State.BLOCKED, State.CHANGES_REQUESTED, State.APPROVED})


def state_label_target(event: IssuesEvent, ctx: HandlerContext) -> int | Skip:
    """The state-label route's target: the issue, when the label added or removed is a state label
    (not the trigger); else ignored ``not_trigger_label``."""
    cfg = ctx.config
    label = event.label.name if event.label else ""
    if LabelNames(cfg.label_prefix, cfg.trigger).state_of(label) is None or label == cfg.trigger:
        return ignored("not_trigger_label", label=label, trigger=cfg.trigger)
    return event.issue.number


def plan_guard(event: IssuesEvent, ctx: HandlerContext, n: int) -> Outcome:
    """The dry-run plan of a state label change: check it (no API calls)."""
    label = event.label.name if event.label else ""
    return ctx.outcome(EVENT, event.action, "plan", "guard_label", issue_number=n, label=label,
                       steps=[{"step": "check_state_label", "label": label}])


def guard_state_label(event: IssuesEvent, ctx: HandlerContext, n: int) -> Outcome:
    """A person added or removed a state label on issue ``n``. An added label is kept when the sender has the
    configured permission, the target is one people may set (:data:`MANUAL_TARGETS`) and the
    transition table allows the move; ``approved`` must also pass the checks of ``/wo approve``.
    Anything else, and any removal of the current state label, is put back with a comment."""
    cfg = ctx.config
    label = event.label.name if event.label else ""
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
    before = board_view(state)
    if reason is None and target is State.APPROVED:
        reason = approve_refusal(session) or approve(session, event.sender.login)[0]
    if reason is None:
        if target is not State.APPROVED:
            session.tracker.set_state(state, target)
            if target is State.BLOCKED:
                state.handoff = Handoff(reason="aborted", pending=[f for f in state.findings if f.severity.value != "MINOR"])
            session.publish(state)
        refresh_board(ctx, n, before, state)
        return ctx.outcome(EVENT, event.action, "done", "label_accepted", issue_number=n, label=label)
    ctx.outbox.queue(RemoveLabel(n, label) if event.action == "labeled" else AddLabel(n, names.label(state.state)))
    ctx.outbox.queue(PostComment(n, ctx.templates.render(
        "label_reverted.md.j2", sender=event.sender.login, label=label, action=event.action, reason=reason,
        state=state.state.value, minimum=cfg.min_permission, prefix=cfg.command_prefix)))
    return ctx.outcome(EVENT, event.action, "refused", "label_reverted", issue_number=n, label=label)


def plan_start(event: IssuesEvent, ctx: HandlerContext, n: int) -> Outcome:
    """The dry-run plan of the trigger label: every step the real run would take, from the payload
    alone (no API calls)."""
    cfg = ctx.config
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
