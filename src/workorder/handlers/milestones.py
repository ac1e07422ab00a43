"""Milestones on GitHub: ``workflow_dispatch`` over a milestone, blockers closing, the progress board.

``workflow_dispatch`` (inputs ``milestone`` and ``mode``) lists the milestone's open work orders,
orders them by ``blocked_by`` and GitHub's native dependencies, labels the ones with open blockers
``wo:waiting``, and either outputs the ready ones as a ``matrix`` for a following job (one work
order per job: Actions is the engine that scales out) or runs them one after another
(``mode: sequential``). When a blocker closes or passes, its waiting dependents start.
"""

from __future__ import annotations

from ..inputs.bounded import MAX_ISSUE_NUMBER, parse_bounded_int
from .board import (
    BOARD_LABEL_SUFFIX,
    BoardData,
    BoardRow,
    board_marker,
    read_board,
    render_board,
)
from .board_outcomes import with_outcomes
from .dependencies import blockers_of, is_done
from ..contracts.events import DispatchEvent, IssuesEvent
from ..contracts.forge import ForgeError, Issue
from ..contracts.milestone import order_dag
from .outcome import Outcome
from ..inputs.problems import InvalidInput
from ..loop.outbox import EditIssueBody, OpenIssue
from ..loop.state import STARTABLE, LabelNames, State, TrackingState
from ..contracts.workorder import WorkOrder, parse_work_order_body
from .context import HandlerContext, Skip, ignored
from .session import Session, run_work_order
from .matrix_scope import defer_overlapping
from .scope_waiters import start_scope_waiters

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
            before = board_view(session.state)
            fresh = forge.get_issue(issue.number)
            result = run_work_order(session, fresh)
            refresh_board(ctx, issue.number, before, result.state, fresh)
            started.append(issue.number)
            if result.state.state is State.PASSED:
                started += start_ready_dependents(ctx, issue.number)
    return started


def plan_dependents(event: IssuesEvent, ctx: HandlerContext, n: int) -> Outcome:
    """The dry-run plan of ``issues`` ``closed``: start the dependents waiting for issue ``n``."""
    return ctx.outcome("issues", event.action, "plan", "would_start_dependents", issue_number=n,
                       steps=[{"step": "start_waiting_dependents", "of": n}])


def handle_issue_closed(event: IssuesEvent, ctx: HandlerContext, n: int) -> Outcome:
    """``issues`` ``closed`` (the route has checked bots and the sender's permission): start the
    dependents that waited for issue ``n``, and the work orders that waited for its scope. Returns
    the issues started."""
    started = start_ready_dependents(ctx, n)
    started += start_scope_waiters(ctx, n, Session.load, run_work_order)  # path ownership's hand-over
    return ctx.outcome("issues", event.action, "done", "dependents_started", issue_number=n,
                       started=started, count=len(started))


def _dispatch_inputs(event: DispatchEvent) -> tuple[str, str]:
    """The ``milestone`` and ``mode`` inputs of a ``workflow_dispatch``, stripped (mode default matrix)."""
    return str(event.inputs.get("milestone") or "").strip(), str(event.inputs.get("mode") or "matrix").strip()


def dispatch_target(event: DispatchEvent, ctx: HandlerContext) -> Skip | None:
    """The route's target: None (one work order, ``ctx.target_issue``, or a milestone), or a Skip
    when there is neither (ignored ``no_milestone``) or the mode is not matrix/sequential (invalid)."""
    milestone_input, mode = _dispatch_inputs(event)
    if ctx.target_issue is None and not milestone_input:
        return ignored("no_milestone")
    if mode not in ("matrix", "sequential"):
        return Skip("invalid", "bad_mode", {"mode": mode})
    return None


def plan_dispatch(event: DispatchEvent, ctx: HandlerContext, target: None) -> Outcome:
    """The dry-run plan of a ``workflow_dispatch``: list the milestone (no API calls)."""
    milestone_input, mode = _dispatch_inputs(event)
    return ctx.outcome("workflow_dispatch", None, "plan", "would_plan_milestone",
                       steps=[{"step": "list_milestone", "milestone": milestone_input, "mode": mode,
                               "issue": ctx.target_issue}])


def handle_dispatch(event: DispatchEvent, ctx: HandlerContext, target: None) -> Outcome:
    """``workflow_dispatch`` (the route has checked the inputs, bots and the sender's permission):
    run one work order (a matrix job, ``target_issue``), or plan a milestone (``inputs.milestone``;
    ``inputs.mode`` matrix or sequential). Returns what was done."""
    milestone_input, mode = _dispatch_inputs(event)

    def out(decision: str, code: str, issue: int | None = None, **values: object) -> Outcome:
        return ctx.outcome("workflow_dispatch", None, decision, code, issue_number=issue, **values)

    assert ctx.forge is not None
    forge = ctx.forge
    if ctx.target_issue is not None:
        issue = forge.get_issue(ctx.target_issue)
        session = Session.load(ctx, issue.number, issue.labels, issue.comment_count)
        session.tracker.labels_read(issue.labels)  # just read: the first state change replaces them in one request
        before = board_view(session.state)
        result = run_work_order(session, issue)
        refresh_board(ctx, issue.number, before, result.state, issue)
        if result.state.state is State.PASSED:
            start_ready_dependents(ctx, issue.number)
        return Outcome(event="workflow_dispatch", decision="done", reason_code="ran",
                       reason=ctx.reason("ran", state_name=result.state.state.value), issue=issue.number, state=result.state)
    as_number = parse_bounded_int(milestone_input, MAX_ISSUE_NUMBER)
    found = (as_number, milestone_input) if as_number is not None else forge.find_milestone(milestone_input)
    if found is None:
        return out("invalid", "no_such_milestone", milestone=milestone_input)
    number, title = found
    plan = plan_milestone(ctx, number)
    fresh: dict[int, TrackingState] = {}  # states this run set, so the board needs no second listing
    for issue_number in plan.waiting:
        session = Session.load(ctx, issue_number, plan.issues[issue_number].labels)
        # records wo:waiting and what it waits for
        fresh[issue_number] = run_work_order(session, plan.issues[issue_number]).state
    deferred: dict[int, list[int]] = {}
    if mode == "matrix":  # path ownership: no two overlapping work orders in one matrix
        plan.ready, deferred = defer_overlapping(ctx, plan.ready, plan.issues, fresh)
    started: list[int] = []
    if mode == "sequential":
        for issue_number in plan.ready:
            if issue_number in started:
                continue
            issue = forge.get_issue(issue_number)
            result = run_work_order(Session.load(ctx, issue_number, issue.labels, issue.comment_count), issue)
            fresh[issue_number] = result.state
            started.append(issue_number)
            if result.state.state is State.PASSED:
                started += start_ready_dependents(ctx, issue_number)
    update_board(ctx, number, title or str(number), plan, fresh)
    return out("done", "milestone_planned", matrix=plan.ready if mode == "matrix" else [], started=started,
               count=len(plan.ready), milestone=title or number, deferred=deferred)


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
    work orders with state, cycle, verdict and PR, and the dependency graph as Mermaid (see
    :mod:`workorder.handlers.board`; the body keeps its data for :func:`refresh_board`).

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
        rows.append(BoardRow.of(n, issue.title, states[-1].value if states else "not started", state))
    label = f"{ctx.config.label_prefix}{BOARD_LABEL_SUFFIX}"
    board = next((i for i in forge.list_issues(labels=(label,))  # only the bot's own board issue counts
                  if i.author == ctx.bot_login and (i.body or "").startswith(board_marker(milestone))), None)
    rows = with_outcomes(forge, rows, read_board(board.body) if board else None)  # the totals' figures
    data = BoardData(milestone=milestone, title=title, rows=rows, edges=plan.ordering.edges,
                     truncated=len(rows) > MAX_BOARD_DETAILS, max_details=MAX_BOARD_DETAILS)
    body = render_board(ctx.templates, data)
    if board is None:
        created = ctx.outbox.write_now(OpenIssue(ctx.templates.render_line("board_title.txt.j2", title=title),
                                                 body, (label,)))
        assert isinstance(created, Issue)
        forge.pin_issue(created.number)
    elif board.body != body:
        ctx.outbox.write_now(EditIssueBody(board.number, body))


BoardView = tuple | None


def board_view(state: TrackingState | None) -> BoardView:
    """What the board shows of a work order's ``state`` (state, cycle, verdict, PR), to compare
    before and after a run; None before the first run."""
    return (state.state, state.cycle, state.max_cycles, state.verdict, state.pr_number) if state else None


def refresh_board(ctx: HandlerContext, number: int, before: BoardView, after: TrackingState | None,
                  issue: Issue | None = None) -> bool:
    """Call after a run that may have changed work order ``number``: when what the board shows of it
    changed (``before``, from :func:`board_view` at load, against ``after``), rewrite its row on its
    milestone's board from the data the board body holds.

    Costs one read (the open board issues, by label) and at most one edit; nothing when nothing
    changed, or when ``issue`` (as this run read it, None when it did not) is in no milestone.
    Best effort: a forge error is swallowed, the next change or dispatch rewrites the board.
    Returns True when the board was edited.
    """
    if ctx.forge is None or after is None or board_view(after) == before:
        return False
    if issue is not None and issue.milestone is None:
        return False
    label = f"{ctx.config.label_prefix}{BOARD_LABEL_SUFFIX}"
    ctx.outbox.flush()  # what the handler queued lands first (its errors are not the board's to swallow)
    try:
        for board in ctx.forge.list_issues(labels=(label,)):
            data = read_board(board.body)
            if data is None or (issue is not None and data.milestone != issue.milestone):
                continue
            if all(row.number != number for row in data.rows):
                continue
            new = data.with_state(number, after)
            if new is None:
                return False
            ctx.outbox.write_now(EditIssueBody(board.number, render_board(ctx.templates, new)))
            return True
    except ForgeError:
        pass
    return False
