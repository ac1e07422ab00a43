"""``issues`` ``labeled`` with the trigger label: check the sender, validate the work order, run the loop."""

from __future__ import annotations

from ..events import IssuesEvent, is_bot
from ..forge import ForgeError, Issue, permission_at_least
from ..loop import WorkOrderLoop, branch_name
from ..outcome import Outcome
from ..problems import InvalidInput
from ..state import INTERRUPTED, STARTABLE, LabelNames, State, TrackingState
from ..tracking import Tracker
from ..workorder import parse_work_order_body
from .context import HandlerContext

EVENT = "issues"


def handle_issue_labeled(event: IssuesEvent, ctx: HandlerContext) -> Outcome:
    """React to a label added to an issue. Returns what was decided (a plan in a dry run).

    Order: ignore bots and other labels; refuse senders below the configured permission (fail closed
    on an API error); re-read the issue (a re-run must see the labels as they are now); an invalid
    work order gets the tracking comment listing every problem and ``invalid``; else the loop runs
    (or resumes an interrupted run).
    """
    cfg = ctx.config
    n = event.issue.number
    sender = event.sender.login

    def out(decision: str, code: str, **values: object) -> Outcome:
        return ctx.outcome(EVENT, event.action, decision, code, issue_number=n, **values)

    if is_bot(event.sender, ctx.bot_login):
        return out("ignored", "bot_sender", sender=sender)
    label = event.label.name if event.label else ""
    if label != cfg.trigger:
        return out("ignored", "not_trigger_label", label=label, trigger=cfg.trigger)
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
    names = LabelNames(cfg.label_prefix, cfg.trigger)
    tracker = Tracker(forge, n, names, ctx.bot_login, ctx.templates, issue.labels)
    previous = tracker.load()
    current = previous.state if previous else tracker.current_state()
    interrupted = current in INTERRUPTED
    if cfg.trigger not in issue.labels and not interrupted:
        return out("ignored", "label_gone", trigger=cfg.trigger, state_name=current.value if current else "none")
    if current not in STARTABLE and current is not State.NEEDS_ANSWER and not interrupted:
        if cfg.trigger in issue.labels:
            forge.remove_label(n, cfg.trigger)
        return out("ignored", "already_done", state_name=current.value if current else "none")

    state = previous or TrackingState(issue=n, state=current or State.READY, max_cycles=cfg.max_cycles)
    if ctx.config_problems:
        state.problems = [p.model_dump() for p in ctx.config_problems]
        state.failure = None
        tracker.set_state(state, State.BLOCKED, check=False)
        tracker.publish(state, order=None, issue=issue, run_url=None, config_source=ctx.config_source)
        return out("invalid", "invalid_config", source=ctx.config_source, count=len(ctx.config_problems),
                   problems=state.problems)
    try:
        order = parse_work_order_body(issue.body)
    except InvalidInput as exc:
        state.problems = [p.model_dump() for p in exc.problems]
        tracker.set_state(state, State.INVALID, check=False)
        tracker.publish(state, order=None, issue=issue, run_url=None)
        return out("invalid", "invalid_work_order", count=len(exc.problems), problems=state.problems)
    state.problems = []
    if ctx.loop_deps is None:
        return out("error", "no_runner")
    deps = ctx.loop_deps()
    final = WorkOrderLoop(deps, issue, order, tracker).run(previous)
    return Outcome(
        event=EVENT, action=event.action, decision="done", reason_code="ran",
        reason=ctx.reason("ran", state_name=final.state.value), issue=n, state=final,
    )


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
