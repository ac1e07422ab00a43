"""One work order's state as handlers see it: its tracking comment, hidden state and labels."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..contracts.forge import Comment, Forge, ForgeError, Issue, permission_at_least
from ..loop.engine import WorkOrderLoop
from ..loop.state import LabelNames, State, TrackingState
from ..loop.tracking import Tracker
from ..loop.state_check import authenticate
from .order_lock import order_hash
from .dependencies import blockers_of, is_done
from .ownership import hold_for_scope, releases_claim
from .scope_waiters import start_scope_waiters
from ..inputs.problems import InvalidInput
from ..contracts.workorder import WorkOrder, parse_work_order_body
from .context import HandlerContext
from .budget_gate import BUDGET_EXHAUSTED, after_run, before_run, stop_over_budget

@dataclass
class Session:
    """Loaded state of issue ``number``: the tracker (labels + tracking comment), the hidden state
    (None before the first run), and every comment of the issue (listed once)."""

    ctx: HandlerContext
    number: int
    tracker: Tracker
    state: TrackingState | None
    comments: list[Comment]
    permissions: dict[str, str] = field(default_factory=dict)
    _tamper: tuple[str | None] | None = None  # (reason,) once checked

    def tampered(self) -> str | None:
        """Why the hidden state must not be acted on (a :class:`workorder.loop.state_check.StateTampered`
        reason code: unreadable, issue, branch, pull_request), or None. Checked once per run, against
        GitHub (:func:`workorder.loop.state_check.authenticate`). Raises ForgeError."""
        if self._tamper is None:
            reason = "unreadable" if self.tracker.unreadable else None
            if reason is None and self.state is not None:
                reason = authenticate(self.state, self.number, self.ctx.config.branch_prefix, self.forge)
            self._tamper = (reason,)
        return self._tamper[0]

    @classmethod
    def load(cls, ctx: HandlerContext, number: int, labels: tuple[str, ...] | None,
             comment_count: int | None = None) -> Session:
        """Load issue ``number``'s state with one API request (its comments). ``labels`` are the
        issue's labels when the payload has them; otherwise the hidden state's label stands in.
        ``comment_count``: the issue's count of comments as just read from GitHub (never a payload's, which
        may be old); at 0 there is nothing to list (no tracking comment, no command), so no request."""
        assert ctx.forge is not None
        cfg = ctx.config
        names = LabelNames(cfg.label_prefix, cfg.trigger)
        tracker = Tracker(ctx.forge, number, names, ctx.bot_login, ctx.templates, labels or ())
        comments = [] if comment_count == 0 else ctx.forge.list_comments(number)
        state = tracker.load_from(comments)
        if labels is None and state is not None:
            tracker.issue_labels = {names.label(state.state)}
        return cls(ctx=ctx, number=number, tracker=tracker, state=state, comments=comments)

    @property
    def forge(self) -> Forge:
        assert self.ctx.forge is not None
        return self.ctx.forge

    @property
    def current(self) -> State | None:
        """The state now: the hidden state's, else what the labels show."""
        return self.state.state if self.state else self.tracker.current_state()

    def permission(self, login: str) -> str:
        """The login's collaborator permission (asked once per login per run). Raises ForgeError."""
        if login not in self.permissions:
            self.permissions[login] = self.forge.collaborator_permission(login)
        return self.permissions[login]

    def may(self, login: str, minimum: str) -> bool:
        """True when ``login`` has at least ``minimum`` permission. An API error fails closed (False)."""
        try:
            return permission_at_least(self.permission(login), minimum)
        except ForgeError:
            return False

    def publish(self, state: TrackingState) -> None:
        """Write the tracking comment for ``state`` (edited only if its text changes)."""
        self.state = state
        self.tracker.publish(state, config_source=self.ctx.config_source)

    def loop(self, issue: Issue, order: WorkOrder) -> WorkOrderLoop:
        """The engine for this issue (builds the loop's dependencies)."""
        assert self.ctx.loop_deps is not None
        return WorkOrderLoop(self.ctx.loop_deps(), issue, order, self.tracker)


def order_refusal(session: Session, issue: Issue, mode: str) -> str | None:
    """Why a run must not act now (a reply code), or None: the hidden state failed its check
    (``state_tampered``), or a run that goes on with the work order already locked (retry, answer,
    fix) would read a body that no longer hashes to the locked one (``locked``): only a permitted
    person's ``/wo start``, ``/wo unlock`` or trigger label approves a new version.
    Raises ForgeError when GitHub cannot be asked."""
    if session.tampered():
        return "state_tampered"
    state = session.state
    if mode in ("retry", "answer", "fix") and state is not None and state.work_order_hash:
        if order_hash(issue.body) != state.work_order_hash:
            return "locked"
    return None


@dataclass(frozen=True)
class RunResult:
    """What :meth:`Session.run` did: decision done or invalid, a reason code, the problems when
    invalid, and the final state."""

    decision: str
    code: str
    state: TrackingState
    problems: list[dict] = field(default_factory=list)


def run_work_order(session: Session, issue: Issue, mode: str = "start", notes: str | None = None,
                   command_id: int | None = None, override_scope: str | None = None) -> RunResult:
    """Validate the repo config and the work order of ``issue``, then run the loop in ``mode``.

    An invalid config blocks with its problems; an invalid work order gets ``invalid`` and the
    tracking comment lists every problem; nothing runs in either case. ``command_id`` (the comment
    that asked for this) is recorded before the loop starts, so a run that dies never repeats it.
    Path ownership (:func:`workorder.handlers.ownership.hold_for_scope`) may make it wait (decision
    ``waiting``, code ``scope_waiting``) or refuse it (``scope_conflict``); ``override_scope`` is the
    maintainer who let it run anyway. A loop that releases its claim starts the orders waiting for it.
    """
    ctx = session.ctx
    refused = order_refusal(session, issue, mode)
    if refused is not None:
        return RunResult("refused", refused, session.state or TrackingState(issue=session.number, state=State.READY))
    state = session.state or TrackingState(issue=session.number, state=session.current or State.READY,
                                           max_cycles=ctx.config.max_cycles)
    if command_id:
        state.last_command_id = max(state.last_command_id, command_id)
    if ctx.config_problems:
        state.problems = [p.model_dump() for p in ctx.config_problems]
        session.tracker.set_state(state, State.BLOCKED, check=False)
        session.publish(state)
        return RunResult("invalid", "invalid_config", state, state.problems)
    try:
        order = parse_work_order_body(issue.body)
    except InvalidInput as exc:
        state.problems = [p.model_dump() for p in exc.problems]
        session.tracker.set_state(state, State.INVALID, check=False)
        session.publish(state)
        return RunResult("invalid", "invalid_work_order", state, state.problems)
    if ctx.loop_deps is None:
        return RunResult("invalid", "no_runner", state)
    state.problems = []
    state.lock_broken = False
    if mode == "start":
        names = session.tracker.names
        open_blockers = [b.number for b in blockers_of(session.forge, issue, order) if not is_done(b, names)]
        if open_blockers:
            state.waiting_for = open_blockers
            state.work_order_hash = order.content_hash()
            session.tracker.set_state(state, State.WAITING, check=False)
            session.publish(state)
            return RunResult("waiting", "waiting", state)
        state.waiting_for = []
    claim = hold_for_scope(session, order, state, mode, override_scope)
    if isinstance(claim, tuple):  # a retry, fix or answer while an overlapping order runs: nothing written
        return RunResult("refused", "scope_conflict", state)
    loop = session.loop(issue, order)
    loop.scope_claim = claim  # a start's claim goes out with the loop's first running write, then it looks
    spend = before_run(session, state, loop.budget)  # the caps across runs (workorder.handlers.budget_gate)
    if spend.refusal is not None:
        if session.current in (State.PASSED, State.APPROVED):  # a PASS waiting for a person stays as it is
            return RunResult("refused", BUDGET_EXHAUSTED, state, [{"field": "budgets", "message": spend.refusal}])
        stop_over_budget(session, state, spend.refusal)
        return RunResult("done", BUDGET_EXHAUSTED, state)
    final = loop.run(state, mode=mode, notes=notes)
    if claim is not None and claim.held and claim.shown is not None:  # an older overlapping claim: nothing ran
        return RunResult(claim.held, "scope_waiting" if claim.held == "waiting" else "scope_conflict", claim.shown)
    after_run(session, spend, final)
    session.state = final
    if releases_claim(final):
        start_scope_waiters(session.ctx, session.number, Session.load, run_work_order)
    if final.state is State.INVALID:  # the pre-work check refused it (workorder.gates.precheck)
        return RunResult("invalid", "invalid_work_order", final, final.problems)
    return RunResult("done", "ran", final)
