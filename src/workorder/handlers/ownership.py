"""Path ownership (#17): a running work order claims its ``in_scope`` globs; one whose scope overlaps a
running one's waits for it (``ownership: wait``) or is refused (``ownership: refuse``).

GitHub is the database. A claim is the claimant's hidden tracking state (``claims``, ``claimed_at``) while
its state label is one of :data:`CLAIMING`; it ends when the loop ends anywhere else (passed, blocked,
invalid). Only the bot's own tracking comment is read (:meth:`workorder.loop.tracking.Tracker.load_from`);
a claimant with no recorded claim (started before this feature) claims its issue body's ``in_scope``.

Claim, then look (two runs may start at the same moment): a starting run first publishes its claim (state
``running``, its ``claimed_at``: the loop's own first running write, :class:`ScopeClaim` and
:mod:`workorder.loop.scope_claim`), then lists the others' claims once; when an overlapping claim older than
its own (``claimed_at``, then issue number) is there, it backs off (``wo:waiting`` naming it, or with
``refuse`` back to its previous state) before the agent runs. Of two runs that raced, the later claim
always sees the earlier one, so at most one goes on (this rests on the runners' clocks, which GitHub keeps
in sync, and on GitHub answering a read after a write with it). Why: if X and Y both went on, say Y looked
last; X's claim was out then, so Y went on only because X's claim is younger. X's look, before Y's, saw no
older claim of Y: Y's label was not ``running`` yet (a ``running`` issue whose claim is not written, or
still shows an earlier time, counts as older), and Y stamps its time after its label. So Y's time is later
than X's look, which is later than X's time: Y's claim is the younger, a contradiction.

A mutual wait (a deadlock otherwise: neither finishes, so neither is woken): A looks while B is labelled
``running`` with no claim written (counts as the oldest): A waits for B; B claims (younger), looks before
A's wait is out, sees A older: B waits for A. So right after writing its wait, a run lists the open issues
once more (:func:`blockers_all_wait`); when every blocker is itself ``waiting`` (none will hand over), it
claims afresh: the ``running`` label, then a new ``claimed_at``, then the tracking comment, and looks again
(:meth:`ScopeClaim.look`). That is a start like any other, so the argument above keeps two overlapping
orders from both going on; the new time matters (a claim made while it waited is older now). Liveness: of
two runs in a mutual wait, the one whose wait went out last sees the other's wait in its check, so at
least one claims afresh; a cycle of waits is broken by its last writer the same way. The re-claims are
bounded (:data:`RECLAIMS`): each needs the race to happen again. Only a run that waits pays (one listing).

A re-run of a start that died while ``running`` (its claim out) before any phase ended may have died before
its look ended, so it looks again (``ScopeClaim(resumed=True)``) with the time it published: its claim has
been visible since, so a younger overlapping claim saw it and backed off, and an older one makes it wait.
A run past its first phase had looked (the look precedes the agent), so its re-runs hold their claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
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


# How often a run that waits in a mutual wait claims afresh and looks again (module docstring).
RECLAIMS = 3


def blockers_all_wait(session, blockers: list[int]) -> bool:
    """True when every one of ``blockers`` is an open issue labelled ``waiting`` and in no
    :data:`CLAIMING` state (so none of them will hand over to the order that waits for it). Costs one
    listing of the open issues. Raises ForgeError."""
    names = session.tracker.names
    states = {i.number: set(names.states_in(i.labels)) for i in session.ctx.forge.list_issues()}
    return bool(blockers) and all(b in states and State.WAITING in states[b] and not states[b] & set(CLAIMING)
                                  for b in blockers)


def _wait(tracker: Tracker, state: TrackingState, blockers: list[int], order: WorkOrder, publish) -> None:
    state.scope_blockers = blockers
    state.work_order_hash = order.content_hash()
    tracker.set_state(state, State.WAITING, check=False)
    publish(state)


@dataclass
class ScopeClaim:
    """A starting run's claim, for its loop (:class:`workorder.loop.scope_claim.ClaimHook`): the loop publishes
    it with its first running write, then :meth:`look` checks the others' claims. ``before`` is the state
    before the run (what a held-back order publishes); ``held`` is set when it was held back: ``"waiting"``
    or ``"refused"``, with ``shown``, the state published then."""

    session: Any
    order: WorkOrder
    before: TrackingState
    held: str | None = None
    shown: TrackingState | None = None
    resumed: bool = False

    def stamp(self, s: TrackingState) -> None:
        """Record the claim in ``s``: the work order's globs, claimed now (a resumed run keeps the time it
        published: ``resumed``)."""
        s.claims = scope_of(self.order)
        s.claimed_at = s.claimed_at if self.resumed and s.claimed_at else claim_time()

    def look(self, s: TrackingState) -> bool:
        """:meth:`look_once`; when that made the order wait and every blocker now waits too (a mutual wait:
        module docstring), claim afresh (running, a new ``claimed_at``, published) and look again, at most
        :data:`RECLAIMS` times. Returns True when held back. Raises ForgeError."""
        for _ in range(RECLAIMS):
            if not self.look_once(s) or self.held != "waiting" or not blockers_all_wait(self.session, s.scope_blockers):
                return self.held is not None
            self.held, self.shown, s.scope_blockers = None, None, []
            self.session.tracker.set_state(s, State.RUNNING, check=False)  # the label first, then the time
            s.claimed_at = claim_time()
            self.session.publish(s)
        return self.look_once(s)

    def look_once(self, s: TrackingState) -> bool:
        """The others' claims, once ``s``'s claim is published: an overlapping older one (``claimed_at``,
        then issue number) holds this order back: ``wo:waiting`` naming them, or with ``ownership: refuse``
        back to its previous state (``ready`` for a resumed run), claim withdrawn. Returns True when held
        back. Raises ForgeError."""
        session, ctx = self.session, self.session.ctx
        mine = (s.claimed_at or "", session.number)
        claims = conflicts(s.claims, running_claims(ctx, session.number))
        earlier = [c.issue for c in claims if (c.claimed_at, c.issue) < mine]
        if not earlier:
            return False  # a younger overlapping claim backs off when it looks
        shown = self.before.model_copy(deep=True)
        shown.claims, shown.claimed_at, s.scope_blockers = s.claims, s.claimed_at, earlier
        if ctx.config.ownership == "refuse":
            shown.scope_blockers = earlier
            shown.state = State.READY if shown.state in CLAIMING else shown.state  # a resumed run: not running
            session.tracker.set_state(s, shown.state, check=False)  # back to where it was, claim withdrawn
            session.publish(shown)
            self.held = "refused"
        else:
            _wait(session.tracker, shown, earlier, self.order, session.publish)
            self.held = "waiting"
        self.shown = shown
        return True


def hold_for_scope(session, order: WorkOrder, state: TrackingState, mode: str,
                   override_by: str | None = None) -> tuple[str, list[int]] | ScopeClaim | None:
    """Path ownership before a loop run of ``session``'s work order (``mode`` as in
    :func:`workorder.handlers.session.run_work_order`). Records the claim (``state.claims``, and
    ``claimed_at`` when it starts). Returns None when the run may go on; ``("refused", blockers)`` for a
    retry/fix/answer while an overlapping order runs (nothing written); for a start, the
    :class:`ScopeClaim` its loop publishes with its first running write and then looks with (it may make
    the order wait, or with ``refuse`` withdraw). ``override_by``: the maintainer who let it run anyway
    (``/wo override-scope``). Raises ForgeError."""
    ctx: HandlerContext = session.ctx
    scope = scope_of(order)
    state.claims, state.scope_blockers = scope, []
    state.scope_override_by = override_by
    relook = mode == "start" and session.current is State.RUNNING and not state.history
    if ctx.config.ownership == "off" or override_by or session.current in CLAIMING and not relook:
        state.claimed_at = state.claimed_at if session.current in CLAIMING else claim_time()
        return None  # off, overridden, or it holds its claim already (a resumed run past its first phase)
    if relook:  # a re-run of a start that may have died before its look ended: it looks again, same claim
        return ScopeClaim(session, order, state.model_copy(deep=True), resumed=True)
    state.claimed_at = claim_time()
    if mode != "start":  # retry, fix, answer: refused while an overlapping order runs
        state.scope_blockers = [c.issue for c in conflicts(scope, running_claims(ctx, session.number))]
        return ("refused", state.scope_blockers) if state.scope_blockers else None
    return ScopeClaim(session, order, state.model_copy(deep=True))  # claim, then look: in the loop's first write


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
