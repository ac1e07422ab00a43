"""Milestones on GitHub: ``workflow_dispatch`` over a milestone, blockers closing, the progress board.

``workflow_dispatch`` (inputs ``milestone`` and ``mode``) lists the milestone's open work orders,
orders them by ``blocked_by`` and GitHub's native dependencies, labels the ones with open blockers
``wo:waiting``, and either outputs the ready ones as a ``matrix`` for a following job (one work
order per job: Actions is the engine that scales out) or runs them one after another
(``mode: sequential``). When a blocker closes or passes, its waiting dependents start.
"""

from __future__ import annotations

from ..dependencies import blockers_of, is_done
from ..events import DispatchEvent, is_bot
from ..forge import ForgeError, Issue, permission_at_least
from ..milestone import order_dag
from ..outcome import Outcome
from ..problems import InvalidInput
from ..state import STARTABLE, LabelNames, State, TrackingState
from ..workorder import WorkOrder, parse_work_order_body
from .context import HandlerContext
from .session import Session, run_work_order

BOARD_LABEL_SUFFIX = "board"
MAX_BOARD_DETAILS = 100  # issues whose tracking comments the board reads (cycle, verdict, PR)


def _orders(issues: list[Issue]) -> dict[int, WorkOrder]:
    found = {}
    for issue in issues:
        try:
            found[issue.number] = parse_work_order_body(issue.body)
        except InvalidInput:
            continue
    return found


def start_ready_dependents(ctx: HandlerContext, finished: int) -> list[int]:
    """Start the waiting work orders that ``finished`` blocked and whose blockers are now all done.
    Returns the issue numbers started (their loops ran in this call)."""
    if ctx.forge is None or ctx.loop_deps is None:
        return []
    forge = ctx.forge
    waiting = forge.list_issues(labels=(f"{ctx.config.label_prefix}{State.WAITING.value}",))
    started = []
    for issue in waiting:
        orders = _orders([issue])
        if issue.number not in orders:
            continue
        session = Session.load(ctx, issue.number, issue.labels)
        blockers = blockers_of(forge, issue, orders[issue.number])
        if finished not in {b.number for b in blockers}:
            continue
        if all(is_done(b, session.tracker.names) or b.number == finished for b in blockers):
            result = run_work_order(session, forge.get_issue(issue.number))
            started.append(issue.number)
            if result.state.state is State.PASSED:
                started += start_ready_dependents(ctx, issue.number)
    return started


def handle_issue_closed(event, ctx: HandlerContext) -> Outcome:
    """``issues`` ``closed``: start the dependents that waited for this issue."""
    n = event.issue.number

    def out(decision: str, code: str, **values: object) -> Outcome:
        return ctx.outcome("issues", event.action, decision, code, issue_number=n, **values)

    if is_bot(event.sender, ctx.bot_login, ctx.config.allowed_bots):
        return out("ignored", "bot_sender", sender=event.sender.login)
    if ctx.dry_run or ctx.forge is None:
        return out("plan", "would_start_dependents", steps=[{"step": "start_waiting_dependents", "of": n}])
    session = Session.load(ctx, n, tuple(label.name for label in event.issue.labels))
    if not session.may(event.sender.login, ctx.config.min_permission):
        return out("refused", "permission", sender=event.sender.login, permission="too little",
                   minimum=ctx.config.min_permission)
    started = start_ready_dependents(ctx, n)
    return out("done", "dependents_started", started=started, count=len(started))


def handle_dispatch(event: DispatchEvent, ctx: HandlerContext) -> Outcome:
    """``workflow_dispatch``: run one work order (a matrix job, ``target_issue``), or plan a
    milestone (``inputs.milestone``; ``inputs.mode`` matrix or sequential)."""
    inputs = event.inputs
    sender = event.sender
    milestone_input = str(inputs.get("milestone") or "").strip()
    mode = str(inputs.get("mode") or "matrix").strip()

    def out(decision: str, code: str, issue: int | None = None, **values: object) -> Outcome:
        return ctx.outcome("workflow_dispatch", None, decision, code, issue_number=issue, **values)

    if ctx.target_issue is None and not milestone_input:
        return out("ignored", "no_milestone")
    if mode not in ("matrix", "sequential"):
        return out("invalid", "bad_mode", mode=mode)
    if ctx.dry_run or ctx.forge is None:
        return out("plan", "would_plan_milestone", steps=[{"step": "list_milestone", "milestone": milestone_input,
                                                          "mode": mode, "issue": ctx.target_issue}])
    forge = ctx.forge
    if is_bot(sender, ctx.bot_login, ctx.config.allowed_bots):
        return out("ignored", "bot_sender", sender=sender.login)
    try:
        permission = forge.collaborator_permission(sender.login)
    except ForgeError:
        permission = "none"
    if not permission_at_least(permission, ctx.config.min_permission):
        return out("refused", "permission", sender=sender.login, permission=permission, minimum=ctx.config.min_permission)
    if ctx.target_issue is not None:
        issue = forge.get_issue(ctx.target_issue)
        result = run_work_order(Session.load(ctx, issue.number, issue.labels), issue)
        if result.state.state is State.PASSED:
            start_ready_dependents(ctx, issue.number)
        return Outcome(event="workflow_dispatch", decision="done", reason_code="ran",
                       reason=ctx.reason("ran", state_name=result.state.state.value), issue=issue.number, state=result.state)
    found = (int(milestone_input), milestone_input) if milestone_input.isdigit() else forge.find_milestone(milestone_input)
    if found is None:
        return out("invalid", "no_such_milestone", milestone=milestone_input)
    number, title = found
    plan = plan_milestone(ctx, number)
    fresh: dict[int, TrackingState] = {}  # states this run set, so the board needs no second listing
    for issue_number in plan.waiting:
        session = Session.load(ctx, issue_number, plan.issues[issue_number].labels)
        # records wo:waiting and what it waits for
        fresh[issue_number] = run_work_order(session, plan.issues[issue_number]).state
    started: list[int] = []
    if mode == "sequential":
        for issue_number in plan.ready:
            if issue_number in started:
                continue
            issue = forge.get_issue(issue_number)
            result = run_work_order(Session.load(ctx, issue_number, issue.labels), issue)
            fresh[issue_number] = result.state
            started.append(issue_number)
            if result.state.state is State.PASSED:
                started += start_ready_dependents(ctx, issue_number)
    update_board(ctx, number, title or str(number), plan, fresh)
    return out("done", "milestone_planned", matrix=plan.ready if mode == "matrix" else [], started=started,
               count=len(plan.ready), milestone=title or number)


class MilestonePlan:
    """A milestone's open work orders (``issues``), their DAG ``ordering``, the ones ``ready`` to
    start (all blockers done, not started yet) and the ones ``waiting`` for open blockers."""

    def __init__(self, issues: dict[int, Issue], ordering, ready: list[int], waiting: list[int]):
        self.issues, self.ordering, self.ready, self.waiting = issues, ordering, ready, waiting


def plan_milestone(ctx: HandlerContext, milestone: int) -> MilestonePlan:
    """Read the milestone's open issues (per_page=100) and work out what can start now."""
    assert ctx.forge is not None
    forge = ctx.forge
    listed = forge.list_issues(milestone=milestone)
    orders = _orders(listed)
    issues = {i.number: i for i in listed if i.number in orders}
    names = LabelNames(ctx.config.label_prefix, ctx.config.trigger)
    known = {i.number: i for i in listed}
    blockers = {n: blockers_of(forge, issues[n], orders[n], known) for n in issues}
    edges = [(b.number, n) for n, bs in blockers.items() for b in bs if b.number in issues]
    ordering = order_dag(issues, edges)
    ready, waiting = [], []
    for n in ordering.order:
        states = names.states_in(issues[n].labels)
        current = states[-1] if states else None
        if current not in STARTABLE:
            continue
        (ready if all(is_done(b, names) for b in blockers[n]) else waiting).append(n)
    return MilestonePlan(issues, ordering, ready, waiting)


def update_board(ctx: HandlerContext, milestone: int, title: str, plan: MilestonePlan,
                 fresh: dict[int, TrackingState]) -> None:
    """Edit (or create and pin) the milestone's progress board issue: counts per state, a table of
    work orders with state, cycle, verdict and PR, and the dependency graph as Mermaid.

    Takes the ``plan`` the caller already listed and the states its run set (``fresh``); any
    other labelled work order's details come from its tracking comment (the first
    ``MAX_BOARD_DETAILS``), so the milestone is not listed twice.
    """
    assert ctx.forge is not None
    forge = ctx.forge
    names = LabelNames(ctx.config.label_prefix, ctx.config.trigger)
    rows = []
    for index, n in enumerate(plan.ordering.order):
        issue = plan.issues[n]
        state = fresh.get(n)
        if state is None and index < MAX_BOARD_DETAILS and names.states_in(issue.labels):
            state = Session.load(ctx, n, issue.labels).state
        states = names.states_in(issue.labels)
        shown = state.state.value if state else (states[-1].value if states else "not started")
        rows.append({"issue": issue, "state": shown, "s": state})
    label = f"{ctx.config.label_prefix}{BOARD_LABEL_SUFFIX}"
    marker = f"<!-- workorder:board {milestone} -->"
    body = ctx.templates.render("board.md.j2", title=title, rows=rows, ordering=plan.ordering, marker=marker,
                                truncated=len(rows) > MAX_BOARD_DETAILS, max_details=MAX_BOARD_DETAILS)
    board = next((i for i in forge.list_issues(labels=(label,)) if marker in (i.body or "")), None)
    if board is None:
        created = forge.create_issue(ctx.templates.render_line("board_title.txt.j2", title=title), body, (label,))
        forge.pin_issue(created.number)
    else:
        forge.edit_issue_body(board.number, body)
