"""Path ownership (#17): a running work order claims its ``in_scope`` globs; one whose scope overlaps a
running one's waits for it (``ownership: wait``) or is refused (``ownership: refuse``).

GitHub is the database. A claim is the claimant's hidden tracking state (``claims``, ``claimed_at``) while
its state label is one of :data:`CLAIMING`; it ends when the loop ends anywhere else (passed, blocked,
invalid). Only the bot's own tracking comment is read (:meth:`workorder.loop.tracking.Tracker.load_from`);
a claimant with no recorded claim (started before this feature) claims its issue body's ``in_scope``.

Claim, then look (two runs may start at the same moment): a starting run first publishes its claim (state
``running``, its ``claimed_at``), then lists the others' claims once; when an overlapping claim older than
its own (``claimed_at``, then issue number) is there, it backs off (``wo:waiting`` naming it, or with
``refuse`` back to its previous state) before the agent runs. Of two runs that raced, the later claim
always sees the earlier one, so at most one goes on (this rests on the runners' clocks, which GitHub keeps
in sync, and on GitHub answering a read after a write with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..contracts.forge import Issue
from ..contracts.workorder import WorkOrder, parse_work_order_body
from ..inputs.globs import split_new
from ..inputs.problems import InvalidInput
from ..inputs.scope_overlap import overlapping_globs
from ..loop.state import LabelNames, State, TrackingState
from ..loop.tracking import Tracker
from .context import HandlerContext

# States whose work order holds its claim: the loop is (or was, when a run died) working on its branch,
# or waits for an answer it resumes from.
CLAIMING = (State.RUNNING, State.REVIEW, State.CHANGES_REQUESTED, State.NEEDS_ANSWER)


@dataclass(frozen=True)
class Claim:
    """A running work order's claim: its issue, the globs it claims, when (UTC ISO; "" when unknown, which
    counts as the oldest)."""

    issue: int
    globs: tuple[str, ...]
    claimed_at: str = ""


def scope_of(order: WorkOrder) -> list[str]:
    """The globs a work order claims: its ``in_scope`` without the ``(new)`` marks."""
    return [split_new(g)[0] for g in order.in_scope]


def _body_scope(issue: Issue) -> list[str]:
    try:
        return scope_of(parse_work_order_body(issue.body))
    except InvalidInput:
        return []


def running_claims(ctx: HandlerContext, exclude: int) -> list[Claim]:
    """The claims of every open work order in a :data:`CLAIMING` state but ``exclude``. Costs one
    listing of the open issues (100 a page; GitHub cannot list labels with OR) and one comment listing
    per claimant. Raises ForgeError."""
    assert ctx.forge is not None
    forge = ctx.forge
    names = LabelNames(ctx.config.label_prefix, ctx.config.trigger)
    found = []
    for issue in forge.list_issues():
        if issue.number == exclude or not set(names.states_in(issue.labels)) & set(CLAIMING):
            continue
        tracker = Tracker(forge, issue.number, names, ctx.bot_login, ctx.templates, issue.labels)
        s = tracker.load_from(forge.list_comments(issue.number))
        globs = s.claims if s is not None and s.claims else _body_scope(issue)
        found.append(Claim(issue.number, tuple(globs), (s.claimed_at if s else None) or ""))
    return found


def conflicts(scope: list[str], claims: list[Claim]) -> list[Claim]:
    """The claims some glob of ``scope`` overlaps (:func:`workorder.inputs.scope_overlap.globs_overlap`)."""
    return [c for c in claims if overlapping_globs(scope, c.globs)]


def claim_time() -> str:
    """Now in UTC, ISO 8601 to the microsecond (the order of two claims)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _wait(tracker: Tracker, state: TrackingState, blockers: list[int], order: WorkOrder, publish) -> None:
    state.scope_blockers = blockers
    state.work_order_hash = order.content_hash()
    tracker.set_state(state, State.WAITING, check=False)
    publish(state)


def hold_for_scope(session, order: WorkOrder, state: TrackingState, mode: str,
                   override_by: str | None = None) -> tuple[str, list[int]] | None:
    """Path ownership before a loop run of ``session``'s work order (``mode`` as in
    :func:`workorder.handlers.session.run_work_order`). Records the claim (``state.claims``, and
    ``claimed_at`` when it starts) and returns None when the run may go on; else (decision, blockers):
    ``("waiting", [...])`` (published as ``wo:waiting`` naming them) or ``("refused", [...])``
    (``ownership: refuse``, or a retry/fix/answer while an overlapping order runs: nothing written).
    ``override_by``: the maintainer who let it run anyway (``/wo override-scope``). Raises ForgeError."""
    ctx: HandlerContext = session.ctx
    scope = scope_of(order)
    state.claims, state.scope_blockers = scope, []
    state.scope_override_by = override_by
    if ctx.config.ownership == "off" or override_by or session.current in CLAIMING:
        state.claimed_at = state.claimed_at if session.current in CLAIMING else claim_time()
        return None  # off, overridden, or it holds its claim already (a resumed run)
    state.claimed_at = claim_time()
    if mode != "start":  # retry, fix, answer: refused while an overlapping order runs
        state.scope_blockers = [c.issue for c in conflicts(scope, running_claims(ctx, session.number))]
        return ("refused", state.scope_blockers) if state.scope_blockers else None
    claim = state.model_copy(deep=True)
    session.tracker.set_state(claim, State.RUNNING)
    session.publish(claim)  # the claim is visible before the others are looked at
    mine = (state.claimed_at, session.number)
    earlier = [c.issue for c in conflicts(scope, running_claims(ctx, session.number)) if (c.claimed_at, c.issue) < mine]
    if not earlier:
        return None  # a younger overlapping claim backs off when it looks
    state.scope_blockers = earlier
    if ctx.config.ownership == "refuse":
        session.tracker.set_state(claim, state.state, check=False)  # back to where it was, claim withdrawn
        session.publish(state)
        return "refused", earlier
    _wait(session.tracker, claim, earlier, order, session.publish)
    return "waiting", earlier


def releases_claim(state: TrackingState) -> bool:
    """True when a loop run that ended in ``state`` no longer holds its claim (its waiters may start)."""
    return state.state not in CLAIMING and bool(state.claims)


def split_by_scope(ctx: HandlerContext, ready: list[int], orders: dict[int, WorkOrder]) -> tuple[list[int], dict[int, list[int]]]:
    """A matrix dispatch never starts two overlapping work orders together: walk ``ready`` (in DAG order)
    and keep an order only when its scope overlaps no running claim and no order kept before it.
    Returns (kept, {deferred order: the issues it overlaps}). ``ownership: off`` keeps all. Raises ForgeError."""
    if ctx.config.ownership == "off" or not ready:
        return ready, {}
    claims = running_claims(ctx, exclude=0)
    kept: list[int] = []
    deferred: dict[int, list[int]] = {}
    for n in ready:
        scope = scope_of(orders[n])
        found = [c.issue for c in conflicts(scope, claims) if c.issue != n]
        if found:
            deferred[n] = found
            continue
        kept.append(n)
        claims.append(Claim(n, tuple(scope)))
    return kept, deferred


def wait_for_scope(session, order: WorkOrder, blockers: list[int]) -> TrackingState:
    """Record that ``session``'s work order waits for the (running or starting) ``blockers``: state
    ``wo:waiting`` naming them, published. Returns the state. Raises ForgeError."""
    ctx: HandlerContext = session.ctx
    state = session.state or TrackingState(issue=session.number, state=session.current or State.READY,
                                           max_cycles=ctx.config.max_cycles)
    state.claims = scope_of(order)
    _wait(session.tracker, state, blockers, order, session.publish)
    return state
