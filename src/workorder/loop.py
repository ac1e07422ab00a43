"""The work-order loop: dev → PO gates → (FAIL, cycles left) fix → PO gates … → PASS, cap or blocked.

It knows nothing of GitHub: it talks to a :class:`workorder.forge.Forge`, git, the SE runner and the
gates. Every phase boundary updates the state label and the tracking comment, so a run that dies
anywhere can be resumed from the hidden state by the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .audit import Journal
from .budgets import RunBudget
from .config import RepoConfig
from .contracts import DoDPacket, Severity, Verdict
from .convergence import converge, handoff_with
from .diff import Diff, read_diff
from .forge import Forge, ForgeError, Issue
from .gates import GATES, gate_action_packet, gate_dod_claims, gate_empty_diff
from .gitops import Git, GitError
from .impact import measure_impact
from .isolation import Sandbox
from .phases import PhaseContext, Stopped
from .po_review import PoReview
from .problems import InvalidInput
from .publisher import STATUS_CONTEXT, Publisher
from .runner import RunnerSpec, redact
from .se_phase import SePhase, handoff_of
from .start import branch_name, initial_state, is_resumable
from .state import Failure, Handoff, PhaseRecord, Publication, State, TrackingState
from .templates import Templates
from .tracking import Tracker
from .verify import VerifyRun
from .worktree import WorkTrees
from .workorder import WorkOrder, parse_work_order_body

__all__ = ["STATUS_CONTEXT", "LoopDeps", "WorkOrderLoop", "branch_name", "is_resumable"]


@dataclass(frozen=True)
class LoopDeps:
    """What the loop runs with. Built by the entry point (Action, CLI or demo).

    forge: where labels, comments, PRs, reviews and statuses go. review_forge: a second identity for
    reviews (a distinct PO account may request changes); None posts reviews through ``forge`` as
    COMMENT. git: the checkout of the default branch, whose ``base_ref`` (default HEAD) is where
    new work branches start; default_branch is the pull request base. worktrees: folder for the per-issue work trees.
    verify_env: the scrubbed environment of verify commands. secrets: strings redacted from anything
    posted. run_url: link to this workflow run, if any.
    """

    forge: Forge
    git: Git
    config: RepoConfig
    templates: Templates
    runner: RunnerSpec
    verify_env: dict[str, str]
    journal: Journal
    worktrees: Path
    default_branch: str = "main"
    base_ref: str = "HEAD"
    review_forge: Forge | None = None
    run_url: str | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    rules: str | None = None  # the team's rules file text (AGENTS.md, …) from the default branch
    push: bool = True  # False for local runs: branches stay local (no remote is asked or written)
    rules_path: str | None = None
    reviewer_env: dict[str, str] = field(default_factory=dict, repr=False)
    clock: Callable[[], float] = time.monotonic
    sandbox: Sandbox | None = None  # the credential boundary of runner, reviewer and verify; None: none


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
        edited, or when a person set ``blocked`` meanwhile. Git and forge errors end the loop as
        ``blocked`` with the error recorded (never a traceback); a transient GitHub failure is marked
        so, and a re-run of the same event or ``/wo retry`` resumes from the last durable step.
        """
        s = initial_state(previous, mode, notes, self.order, self.issue, self.deps.config, self.deps.templates,
                          self.tracker.current_state())
        try:
            return self._run(s, human=mode == "fix")
        except (GitError, ForgeError, OSError) as exc:
            return self._fail(s, exc)

    def _fail(self, s: TrackingState, exc: Exception) -> TrackingState:
        """End as blocked with the (redacted) error recorded; publishing is best effort, since the
        forge itself may be what failed. A GitHub refusal names the call and what to fix; a transient
        GitHub failure is marked resumable (a re-run of the same event or /wo retry goes on)."""
        kind = getattr(exc, "kind", "error")  # IsolationUnavailable: "isolation"
        detail = redact(str(exc), self.deps.secrets)
        transient = isinstance(exc, ForgeError) and exc.transient
        if isinstance(exc, ForgeError):
            detail = self.deps.templates.render_line("github_error.txt.j2", error=detail, call=exc.call,
                                                     status=exc.status, transient=transient)
        s.failure = Failure(kind=kind, detail=detail, transient=transient)
        s.handoff = Handoff(reason=kind)
        self._event(s, "loop.error", error=type(exc).__name__, transient=transient)
        try:
            self.publisher.set_state(s, State.BLOCKED, check=False)
            self._publish(s)
        except (GitError, ForgeError):
            pass
        return s

    def _run(self, s: TrackingState, human: bool = False) -> TrackingState:
        wt = self._prepare_worktree(s)
        resumed = bool(s.history)
        self._event(s, "loop.resume" if resumed else "loop.start", branch=s.branch, max_cycles=s.max_cycles)
        pub = s.publication
        if pub is None or pub.cycle != s.cycle or pub.done:
            self.publisher.set_state(s, State.RUNNING)
        while True:
            pub = s.publication
            if pub is not None and pub.cycle == s.cycle and not pub.done:
                packet, verdict = pub.packet, self._publish_verdict(s, pub, resumed=True)
            else:
                phase = "fix" if s.cycle > 1 or s.corrective_prompt else "dev"
                s.phase = phase
                self._publish(s)
                developed = SePhase(self.phases).run(s, wt, phase)
                if isinstance(developed, Stopped):
                    self._stop(s, wt, phase, developed.state, developed.handoff)
                    return s
                if self._stopped_at_boundary(s):
                    return s
                packet = developed.packet
                verdict = self._review(s, wt, packet)
            if s.publication is not None:
                s.publication.done = True  # durable with the next tracking comment edit
            if verdict.verdict == "PASS":
                s.corrective_prompt = s.answer = None
                self.publisher.set_state(s, State.PASSED)
                self._publish(s)
                self._event(s, "loop.end", state=s.state.value, verdict="PASS")
                return s
            s.last_finding_keys, stuck = converge(s.last_finding_keys, verdict, s.cycle < s.max_cycles, self.deps.templates)
            if s.cycle >= s.max_cycles or stuck:
                waiting = human and s.human_cycles < self.deps.config.max_human_cycles and not stuck
                reason = "not_converging" if stuck else "cap"
                s.handoff = None if waiting else handoff_with(handoff_of(reason, packet, verdict), stuck)
                s.corrective_prompt = verdict.corrective_prompt
                self.publisher.set_state(s, State.CHANGES_REQUESTED if waiting else State.BLOCKED)
                self._publish(s)
                self._event(s, "loop.end", state=s.state.value, verdict="FAIL", reason="human" if waiting else reason)
                return s
            self.publisher.set_state(s, State.CHANGES_REQUESTED)
            s.corrective_prompt = verdict.corrective_prompt
            s.cycle += 1
            if self._stopped_at_boundary(s):
                return s
            self.publisher.set_state(s, State.RUNNING)

    def _stopped_at_boundary(self, s: TrackingState) -> bool:
        """At a phase boundary: stop when the work order was edited (lock) or a person set blocked."""
        issue = self.deps.forge.get_issue(self.n)
        self.tracker.issue_labels = set(issue.labels)
        try:
            edited = parse_work_order_body(issue.body).content_hash() != s.work_order_hash
        except InvalidInput:
            edited = True
        aborted = self.tracker.names.label(State.BLOCKED) in issue.labels
        if not edited and not aborted:
            return False
        if edited:
            s.lock_broken = True
            s.failure = Failure(kind="work_order_edited", detail="the work order was edited while the loop ran")
            self.deps.forge.create_comment(self.n, self.deps.templates.render(
                "lock_broken.md.j2", sender=issue.author, prefix=self.deps.config.command_prefix))
        else:
            s.failure = Failure(kind="aborted", detail="a person stopped the loop")
        s.handoff = Handoff(reason=s.failure.kind, pending=[f for f in s.findings if f.severity != Severity.MINOR])
        self.tracker.set_state(s, State.BLOCKED, check=False)
        self._publish(s)
        self._event(s, "loop.end", state=s.state.value, reason=s.failure.kind)
        return True

    def review_head(self, s: TrackingState) -> TrackingState:
        """Someone pushed to the work branch: re-run the gates (not the agent) on the new head and
        post a new verdict. Approvals of the old head no longer count. Returns the new state."""
        try:
            s.approved_sha = s.approved_by = None
            s.failure = s.handoff = None
            wt = self._prepare_worktree(s)
            s.head_sha = wt.rev("HEAD")
            assert s.head_sha is not None
            self.deps.forge.set_commit_status(
                s.head_sha, "pending", STATUS_CONTEXT,
                self.deps.templates.render_line("status_description.txt.j2", verdict=None, s=s, awaiting=False), self.deps.run_url)
            diff = read_diff(wt, s.base_sha or "HEAD", "HEAD")
            packet = DoDPacket(status="done", summary="commits pushed by a person", files_changed=diff.touched_paths,
                               reported_by="action")
            gates = tuple(g for g in GATES if g not in (gate_dod_claims, gate_empty_diff, gate_action_packet))
            verdict = self._review(s, wt, packet, gates=gates, push=False)
            s.corrective_prompt = verdict.corrective_prompt
            self.tracker.set_state(s, State.PASSED if verdict.verdict == "PASS" else State.CHANGES_REQUESTED)
            self._publish(s)
            return s
        except (GitError, ForgeError, OSError) as exc:
            return self._fail(s, exc)

    # -- work tree ---------------------------------------------------------------------------
    def _prepare_worktree(self, s: TrackingState) -> Git:
        """The issue's work tree on its branch (see :class:`workorder.worktree.WorkTrees`)."""
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
        self.publisher.set_state(s, new)
        self._publish(s)
        self._event(s, "loop.end", state=new.value, reason=s.failure.kind if s.failure else "question")
        return None

    # -- phases ------------------------------------------------------------------------------
    def _review(self, s: TrackingState, wt: Git, packet: DoDPacket, gates=GATES, push: bool = True) -> Verdict:
        """The PO review (:class:`workorder.po_review.PoReview`); then push, record and publish the verdict."""
        s.phase = "review"
        self.publisher.set_state(s, State.REVIEW)
        self._publish(s)
        reviewed = PoReview(self.phases).run(s, wt, packet, gates)
        if not reviewed.diff.is_empty:
            if push:
                self._push(s, wt)
            self._record_verdict(s, packet, reviewed.verdict, reviewed.diff, reviewed.runs)
            self._publish_verdict(s, s.publication, resumed=False)
        return reviewed.verdict

    def _record_verdict(self, s: TrackingState, packet: DoDPacket, verdict: Verdict, diff: Diff,
                        runs: list[VerifyRun]) -> None:
        """The durable checkpoint: the verdict and the head it is for go into the hidden state before
        anything of it is posted, so a re-run resumes here without the agent or the gates."""
        assert s.head_sha is not None
        added = {(a.path, a.line) for a in diff.added_lines}
        s.publication = Publication(
            cycle=s.cycle, head_sha=s.head_sha, verdict=verdict, packet=packet,
            verify_runs=[r.model_copy(update={"output_tail": ""}) for r in runs],
            inline=[(f.path, f.line) for f in verdict.findings if f.path and f.line and (f.path, f.line) in added],
            impact=measure_impact(self.deps.git, s.base_sha or "HEAD", s.head_sha, diff, self.deps.config),
        )
        self._publish(s)

    def _publish_verdict(self, s: TrackingState, pub: Publication | None, *, resumed: bool) -> Verdict:
        """Post the recorded verdict (PR, review, status) through the publisher; returns it."""
        assert pub is not None
        if resumed:
            s.phase, s.head_sha = "review", pub.head_sha
            self.publisher.set_state(s, State.REVIEW)
            self._event(s, "loop.resume_verdict", head=pub.head_sha, verdict=pub.verdict.verdict)
        done = self.publisher.verdict(s, pub, resumed=resumed)
        self._event(s, "pull_request", number=done.pr_number, created=done.pr_created)
        if done.review_event:
            self._event(s, "review", review_event=done.review_event, inline_comments=done.inline_comments)
        if done.status_set:
            self._event(s, "commit_status", state=done.status, context=STATUS_CONTEXT)
        return pub.verdict

    # -- helpers -----------------------------------------------------------------------------
    def _push(self, s: TrackingState, wt: Git) -> None:
        assert s.branch is not None
        if not self.deps.push:
            s.head_sha = wt.rev("HEAD")
            return
        wt.push(s.branch)
        s.head_sha = wt.rev("HEAD")
        self._event(s, "push", branch=s.branch, sha=s.head_sha)

    def _publish(self, s: TrackingState) -> None:
        self.publisher.tracking(s)

    def _event(self, s: TrackingState, event: str, **data: object) -> None:
        self.deps.journal.event(self.n, s.cycle, s.phase or "start", event, **data)
