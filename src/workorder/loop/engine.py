"""The work-order loop: dev → PO gates → (FAIL, cycles left) fix → PO gates … → PASS, cap or blocked.

It knows nothing of GitHub: it talks to a :class:`workorder.contracts.forge.Forge`, git, the SE runner and the
gates. Every phase boundary updates the state label and the tracking comment, so a run that dies
anywhere can be resumed from the hidden state by the next run.
"""

from __future__ import annotations

from datetime import UTC, datetime


from .deps import LoopDeps
from .budgets import RunBudget
from ..contracts.packet import Severity
from .convergence import converge, handoff_with
from ..evidence.diff import read_diff
from ..gates import PUSHED_HEAD_GATES
from ..contracts.forge import ForgeError, Issue
from ..shell.gitops import Git, GitError
from .stops import boundary_failure, error_failure
from .verdict import VerdictStep
from .phases import PhaseContext, Stopped
from .po_review import pushed_head_packet
from .publisher import Publisher
from .se_phase import SePhase, handoff_of
from .plan_phase import needs_plan, run_plan_phase
from .scope_claim import ClaimHook, claim_and_look
from ..gates.secret_scan import refuse_leaking_push
from .start import branch_name, initial_state, is_resumable
from .state_check import StateTampered, check_against_branch, check_base
from .state import Handoff, PhaseRecord, State, TrackingState
from .verdict_status import set_pending
from .outbox import Outbox, PostComment
from .tracking import Tracker
from ..contracts.workorder import WorkOrder
from .worktree import WorkTrees

__all__ = ["WorkOrderLoop", "branch_name", "is_resumable"]


def utc_iso() -> str:
    """Now in UTC, ISO 8601 to the second (the times ``workorder report`` reads from the tracking state)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class WorkOrderLoop:
    """Runs one work order's loop for ``issue`` with ``order``, reporting through ``tracker``."""

    def __init__(self, deps: LoopDeps, issue: Issue, order: WorkOrder, tracker: Tracker):
        self.deps = deps
        self.issue = issue
        self.order = order
        self.tracker = tracker
        self.base_ref = deps.base_ref
        self.n = issue.number
        self.budget = RunBudget(deps.config.budgets, deps.templates, deps.clock)
        self.phases = PhaseContext(deps, issue, order, self.budget, self._event)
        self.publisher = Publisher(deps.forge, tracker, deps.templates, deps.config, issue, order,
                                   deps.default_branch, deps.review_forge, deps.run_url)
        self.verdicts = VerdictStep(self.phases, self.publisher, self._push)
        self.scope_claim: ClaimHook | None = None  # path ownership's claim: published with the first running write

    # -- entry -------------------------------------------------------------------------------
    def run(self, previous: TrackingState | None, mode: str = "start", notes: str | None = None) -> TrackingState:
        """Run the loop; returns the final state. Modes:

        * ``start``: a fresh loop (the trigger label, ``/wo start``, ``/wo unlock``). An interrupted run
          of the same work order (hidden state running/review/changes-requested, same hash) resumes at
          its cycle on the branch as it was pushed.
        * ``retry``: run the failed phase of ``previous`` again, same cycle.
        * ``answer``: resume after a question, with ``notes`` as the answer in the prompt.
        * ``fix``: one human-driven corrective cycle with ``notes`` (``/wo fix``, a change-request review).

        It ends at PASS, at the cycle cap, at a blocked runner or a question, when the work order was
        edited, or when a person set ``blocked`` meanwhile (or path ownership's :attr:`scope_claim` held it
        back, :func:`workorder.loop.scope_claim.claim_and_look`). Git and forge errors end the loop as
        ``blocked`` with the error recorded (never a traceback); a transient GitHub failure is marked
        so, and a re-run of the same event or ``/wo retry`` resumes from the last durable step.
        """
        s = initial_state(previous, mode, notes, self.order, self.issue, self.deps.config, self.deps.templates,
                          self.tracker.current_state())
        try:
            if mode == "start" and not s.history and self._refused_before_work(s):
                return s
            if mode in ("start", "retry") and needs_plan(self.deps.config, self.order, s):
                return s if claim_and_look(self, s) else run_plan_phase(self, s)  # plan first (a person approves it)
            return self._run(s, human=mode == "fix")
        except (GitError, ForgeError, OSError, StateTampered) as exc:
            return self._fail(s, exc)

    def _refused_before_work(self, s: TrackingState) -> bool:
        """The pre-work check (:mod:`workorder.gates.precheck`) at the base: on problems, ``invalid`` with every
        problem in the tracking comment, no agent run; returns True when it refused."""
        from ..gates.precheck import files_at, precheck

        problems = precheck(self.order, files_at(self.deps.git, self.base_ref), self.deps.verify_env.get("PATH"),
                            config_verify=self.deps.config.verify)
        if not problems:
            return False
        s.problems = [p.model_dump() for p in problems]
        self._event(s, "precheck.refused", problems=s.problems)
        self.publisher.set_state(s, State.INVALID, check=False)
        self._publish(s)
        return True

    def _fail(self, s: TrackingState, exc: Exception) -> TrackingState:
        """End as blocked with the (redacted) error recorded; publishing is best effort, since the
        forge itself may be what failed. A GitHub refusal names the call and what to fix; a transient
        GitHub failure is marked resumable (a re-run of the same event or /wo retry goes on)."""
        s.failure = error_failure(exc, self.deps.secrets, self.deps.templates)
        s.handoff = Handoff(reason=s.failure.kind)
        self._event(s, "loop.error", error=type(exc).__name__, transient=s.failure.transient)
        try:
            self.publisher.set_state(s, State.BLOCKED, check=False)
            self._publish(s)
        except (GitError, ForgeError):
            pass
        return s

    def _run(self, s: TrackingState, human: bool = False) -> TrackingState:
        wt = self._prepare_worktree(s)
        check_against_branch(s, wt, self.base_ref)  # a recorded base, head or verdict not of this branch
        resumed = bool(s.history)
        s.started_at = s.started_at or utc_iso()
        self._event(s, "loop.resume" if resumed else "loop.start", branch=s.branch, max_cycles=s.max_cycles)
        pub = s.publication
        if pub is None or pub.cycle != s.cycle or pub.done:
            self.publisher.set_state(s, State.RUNNING)
        while True:
            pub = s.publication
            if pub is not None and pub.cycle == s.cycle and not pub.done:
                if claim_and_look(self, s):
                    return s
                packet, verdict = pub.packet, self.verdicts.publish(s, pub, resumed=True)
            else:
                phase = "fix" if s.cycle > 1 or s.corrective_prompt else "dev"
                s.phase = phase
                if claim_and_look(self, s):  # path ownership: the claim goes out in this very write, then a look
                    return s
                self._publish(s)
                developed = SePhase(self.phases).run(s, wt, phase)
                if isinstance(developed, Stopped):
                    self._stop(s, wt, phase, developed.state, developed.handoff)
                    return s
                if self._stopped_at_boundary(s):
                    return s
                packet = developed.packet
                verdict = self.verdicts.review(s, wt, packet)
            if s.publication is not None:
                s.publication.done = True  # durable with the next tracking comment edit
            if verdict.verdict == "PASS":
                s.corrective_prompt = s.answer = None
                s.passed_at = utc_iso()
                self._end(s, State.PASSED, verdict="PASS")
                return s
            s.last_finding_keys, stuck = converge(s.last_finding_keys, verdict, s.cycle < s.max_cycles, self.deps.templates)
            if s.cycle >= s.max_cycles or stuck:
                waiting = human and s.human_cycles < self.deps.config.max_human_cycles and not stuck
                reason = "not_converging" if stuck else "cap"
                s.handoff = None if waiting else handoff_with(handoff_of(reason, packet, verdict), stuck)
                s.corrective_prompt = verdict.corrective_prompt
                self._end(s, State.CHANGES_REQUESTED if waiting else State.BLOCKED, verdict="FAIL",
                          reason="human" if waiting else reason)
                return s
            self.publisher.set_state(s, State.CHANGES_REQUESTED)
            s.corrective_prompt = verdict.corrective_prompt
            s.cycle += 1
            if self._stopped_at_boundary(s):
                return s
            self.publisher.set_state(s, State.RUNNING)

    def _stopped_at_boundary(self, s: TrackingState) -> bool:
        """At a phase boundary: stop when the work order was edited (lock) or a person set blocked
        (:func:`workorder.loop.stops.boundary_failure`); returns True when the loop stopped."""
        failure, issue = boundary_failure(self.deps.forge, self.tracker, self.n, s.work_order_hash)
        if failure is None:
            return False
        s.failure = failure
        if failure.kind == "work_order_edited":
            s.lock_broken = True
            Outbox(self.deps.forge).write_now(PostComment(self.n, self.deps.templates.render(
                "lock_broken.md.j2", sender=issue.author, prefix=self.deps.config.command_prefix)))
        s.handoff = Handoff(reason=failure.kind, pending=[f for f in s.findings if f.severity != Severity.MINOR])
        self._end(s, State.BLOCKED, check=False, reason=failure.kind)
        return True

    def review_head(self, s: TrackingState) -> TrackingState:
        """Someone pushed to the work branch: re-run the gates (not the agent) on the new head and
        post a new verdict. Approvals of the old head no longer count. Returns the new state."""
        try:
            s.approved_sha = s.approved_by = None
            s.failure = s.handoff = None
            wt = self._prepare_worktree(s)
            check_base(s, wt, self.base_ref)  # the diff the gates judge starts at the recorded base
            s.head_sha = wt.rev("HEAD")
            assert s.head_sha is not None
            set_pending(self.deps.forge, self.deps.templates, s, s.head_sha, self.deps.run_url)
            packet = pushed_head_packet(read_diff(wt, s.base_sha or "HEAD", "HEAD"))
            verdict = self.verdicts.review(s, wt, packet, gates=PUSHED_HEAD_GATES, push=False)
            s.corrective_prompt = verdict.corrective_prompt
            self.tracker.set_state(s, State.PASSED if verdict.verdict == "PASS" else State.CHANGES_REQUESTED)
            self._publish(s)
            return s
        except (GitError, ForgeError, OSError, StateTampered) as exc:
            return self._fail(s, exc)

    # -- work tree ---------------------------------------------------------------------------
    def _prepare_worktree(self, s: TrackingState) -> Git:
        """The issue's work tree on its branch (see :class:`workorder.loop.worktree.WorkTrees`)."""
        d = self.deps
        trees = WorkTrees.for_config(d.git, d.worktrees, self.base_ref, d.push, d.config)
        prepared = trees.prepare(self.n, s)
        self._event(s, "worktree", branch=s.branch, existing_branch=prepared.existing_branch)
        return prepared.git

    def _stop(self, s: TrackingState, wt: Git, phase: str, new: State, handoff: Handoff | None) -> None:
        """End the loop early: keep whatever the runner made on the branch, record, publish."""
        s.history.append(
            PhaseRecord(cycle=s.cycle, phase=phase, outcome=new.value, detail=(s.failure.detail if s.failure else ""))
        )
        head = wt.rev("HEAD")
        if head and head != s.base_sha:
            self._push(s, wt)
        s.handoff = handoff
        self._end(s, new, reason=s.failure.kind if s.failure else "question")

    # -- helpers -----------------------------------------------------------------------------
    def _push(self, s: TrackingState, wt: Git) -> None:
        """Push the work branch (unless a local run) and set ``s.head_sha`` to the work tree's HEAD."""
        assert s.branch is not None
        if not self.deps.push:
            s.head_sha = wt.rev("HEAD")
            return
        refuse_leaking_push(wt, s.base_sha or self.base_ref, "HEAD", self.deps.secrets)  # raises: nothing pushed
        wt.push(s.branch)
        s.head_sha = wt.rev("HEAD")
        self._event(s, "push", branch=s.branch, sha=s.head_sha)

    def _end(self, s: TrackingState, new: State, *, check: bool = True, **data: object) -> None:
        """End the loop in state ``new``: its label, the tracking comment, then the ``loop.end`` event."""
        self.publisher.set_state(s, new, check=check)
        self._publish(s)
        self._event(s, "loop.end", state=s.state.value, **data)

    def _publish(self, s: TrackingState) -> None:
        self.publisher.tracking(s)

    def _event(self, s: TrackingState, event: str, **data: object) -> None:
        self.deps.journal.event(self.n, s.cycle, s.phase or "start", event, **data)
