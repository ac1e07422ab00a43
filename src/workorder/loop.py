"""The work-order loop: dev → PO gates → (FAIL, cycles left) fix → PO gates … → PASS, cap or blocked.

It knows nothing of GitHub: it talks to a :class:`workorder.forge.Forge`, git, the SE runner and the
gates. Every phase boundary updates the state label and the tracking comment, so a run that dies
anywhere can be resumed from the hidden state by the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .audit import Journal
from .config import RepoConfig
from .contracts import DoDPacket, Finding, Severity, Verdict, verdict_for
from .diff import Diff, read_diff, read_patch
from .forge import Forge, ForgeError, Issue, ReviewComment
from .globs import compile_globs
from .gates import GATES, GateContext, gate_action_packet, gate_dod_claims, gate_empty_diff, order_findings, run_gates
from .reviewer import run_llm_reviewer
from .gitops import Git, GitError, slugify
from .presets import AgentSettings, Usage, packet_channel, preset_of
from .runner import RunnerOutcome, RunnerSpec, redact, run_se_runner
from .problems import InvalidInput
from .state import INTERRUPTED, Failure, Handoff, PhaseRecord, State, TrackingState
from .templates import Templates
from .tracking import Tracker
from .verify import VerifyRun, run_verify_commands
from .workorder import WorkOrder, parse_work_order_body

STATUS_CONTEXT = "workorder/verdict"
MAX_REVIEW_DIFF = 60_000  # characters of the diff put into the LLM review prompt
MAX_INLINE_COMMENTS = 30


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


def branch_name(prefix: str, issue: Issue) -> str:
    """The work branch of an issue: ``<prefix><number>-<slug of title>``, e.g. ``wo/12-add-subtract``."""
    return f"{prefix}{issue.number}-{slugify(issue.title)}"


class WorkOrderLoop:
    """Runs one work order's loop for ``issue`` with ``order``, reporting through ``tracker``."""

    def __init__(self, deps: LoopDeps, issue: Issue, order: WorkOrder, tracker: Tracker):
        self.deps = deps
        self.issue = issue
        self.order = order
        self.tracker = tracker
        self.base_ref = deps.base_ref
        self.n = issue.number
        self.reverted: list[str] = []
        self.started = deps.clock()
        self.run_usage = Usage()
        self.phase_start: str | None = None  # HEAD of the work tree when the current SE phase started

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
        ``blocked`` with the error recorded (never a traceback).
        """
        s = self._initial_state(previous, mode, notes)
        try:
            return self._run(s, human=mode == "fix")
        except (GitError, ForgeError, OSError) as exc:
            return self._fail(s, exc)

    def _fail(self, s: TrackingState, exc: Exception) -> TrackingState:
        """End as blocked with the (redacted) error recorded; publishing is best effort, since the
        forge itself may be what failed."""
        s.failure = Failure(kind="error", detail=redact(str(exc), self.deps.secrets))
        s.handoff = Handoff(reason="error")
        self._event(s, "loop.error", error=type(exc).__name__)
        try:
            self.tracker.set_state(s, State.BLOCKED, check=False)
            self._publish(s)
        except (GitError, ForgeError):
            pass
        return s

    def _initial_state(self, previous: TrackingState | None, mode: str, notes: str | None) -> TrackingState:
        order_hash = self.order.content_hash()
        cfg = self.deps.config
        if previous is not None and mode in ("retry", "answer", "fix"):
            s = previous.model_copy(deep=True)
            s.failure = s.handoff = None
            if mode == "answer":
                s.answer = notes
            if mode == "fix":
                s.cycle += 1
                s.human_cycles += 1
                s.max_cycles = s.cycle
                s.corrective_prompt = self.deps.templates.render(
                    "human_corrective_prompt.md.j2", notes=notes or "",
                    previous=previous.corrective_prompt if previous.verdict == "FAIL" else None,
                )
            return s
        if previous and previous.state in INTERRUPTED and previous.work_order_hash == order_hash and previous.branch:
            previous.max_cycles = max(previous.max_cycles, previous.cycle)
            return previous
        current = self.tracker.current_state() or State.READY
        return TrackingState(
            issue=self.n,
            state=current,
            cycle=1,
            max_cycles=cfg.max_cycles,
            branch=previous.branch if previous and previous.branch else branch_name(cfg.branch_prefix, self.issue),
            work_order_hash=order_hash,
            pr_number=previous.pr_number if previous else None,
            last_command_id=previous.last_command_id if previous else 0,
            human_cycles=previous.human_cycles if previous else 0,
        )

    def _run(self, s: TrackingState, human: bool = False) -> TrackingState:
        wt = self._prepare_worktree(s)
        resumed = bool(s.history)
        self._event(s, "loop.resume" if resumed else "loop.start", branch=s.branch, max_cycles=s.max_cycles)
        self.tracker.set_state(s, State.RUNNING)
        while True:
            phase = "fix" if s.cycle > 1 or s.corrective_prompt else "dev"
            s.phase = phase
            self._publish(s)
            packet = self._develop(s, wt, phase)
            if packet is None or self._stopped_at_boundary(s):
                return s
            verdict = self._review(s, wt, packet)
            if verdict.verdict == "PASS":
                s.corrective_prompt = s.answer = None
                self.tracker.set_state(s, State.PASSED)
                self._publish(s)
                self._event(s, "loop.end", state=s.state.value, verdict="PASS")
                return s
            if s.cycle >= s.max_cycles:
                waiting = human and s.human_cycles < self.deps.config.max_human_cycles
                s.handoff = None if waiting else self._handoff("cap", packet, verdict)
                s.corrective_prompt = verdict.corrective_prompt
                self.tracker.set_state(s, State.CHANGES_REQUESTED if waiting else State.BLOCKED)
                self._publish(s)
                self._event(s, "loop.end", state=s.state.value, verdict="FAIL", reason="human" if waiting else "cap")
                return s
            self.tracker.set_state(s, State.CHANGES_REQUESTED)
            s.corrective_prompt = verdict.corrective_prompt
            s.cycle += 1
            if self._stopped_at_boundary(s):
                return s
            self.tracker.set_state(s, State.RUNNING)

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
        git = self.deps.git
        assert s.branch is not None
        if not self.deps.push:
            return self._prepare_local_worktree(s)
        remote_sha = git.remote_branch_sha(s.branch)
        if remote_sha:
            start = git.fetch_branch(s.branch)
            if not s.base_sha:
                s.base_sha = git.run("merge-base", self.base_ref, start).strip()
        else:
            start = git.rev(self.base_ref)
            if start is None:
                raise GitError(f"cannot resolve {self.base_ref} in the checkout")
            s.base_sha = start
        self._event(s, "worktree", branch=s.branch, existing_branch=bool(remote_sha))
        return self._never_commit(git.add_worktree(self.deps.worktrees / str(self.n), s.branch, start))

    def _prepare_local_worktree(self, s: TrackingState) -> Git:
        """Local runs: reuse the local branch if it exists (a resumed issue), else start at base_ref."""
        git = self.deps.git
        assert s.branch is not None
        local = git.rev(f"refs/heads/{s.branch}")
        base = git.rev(self.base_ref)
        if base is None:
            raise GitError(f"cannot resolve {self.base_ref} in the repository")
        if local and s.base_sha:
            start = local
        else:
            start, s.base_sha = base, base
        self._event(s, "worktree", branch=s.branch, existing_branch=bool(local and start == local))
        path = self.deps.worktrees / str(self.n)
        if path.exists() and git.at(path).rev("HEAD") == start:
            return self._never_commit(git.at(path))  # the issue's worktree, reused
        return self._never_commit(git.add_worktree(path, s.branch, start))

    def _never_commit(self, wt: Git) -> Git:
        """The work tree with the config's ``never_commit`` patterns and the agent's own files
        (``leaves_behind``) excluded from every commit."""
        preset = preset_of(self.deps.config.runner.preset)
        return wt.never_committing([*self.deps.config.never_commit, *(preset.leaves_behind if preset else ())])

    # -- SE runner ---------------------------------------------------------------------------
    def _develop(self, s: TrackingState, wt: Git, phase: str) -> DoDPacket | None:
        deps = self.deps
        pdir = deps.journal.phase_dir(self.n, s.cycle, phase)
        asked, s.question = s.question, None
        prompt = deps.templates.render(
            "prompt.md.j2",
            order=self.order,
            issue=self.issue,
            cycle=s.cycle,
            max_cycles=s.max_cycles,
            phase=phase,
            corrective_prompt=s.corrective_prompt,
            answer=s.answer,
            question=asked,
            protected=deps.config.protected,
            verify=[*deps.config.verify, *self.order.verify],
            rules=deps.rules,
            rules_path=deps.rules_path,
            channel=packet_channel(deps.config.runner.preset),
        )
        self._event(s, "runner.start")
        self.phase_start = wt.rev("HEAD")
        timeout, bound_by_budget = self._phase_timeout()
        preset = preset_of(deps.config.runner.preset)
        if timeout <= 0:
            s.failure = Failure(kind="budget", detail=self._budget_text("wall_clock"))
            return self._stop(s, wt, phase, State.BLOCKED, Handoff(reason="budget"))
        outcome = run_se_runner(
            RunnerSpec(command=self._runner_command(wt), timeout_s=timeout, env=deps.runner.env),
            wt.repo,
            prompt,
            pdir,
            {"WORKORDER_ISSUE": str(self.n), "WORKORDER_CYCLE": str(s.cycle), "WORKORDER_PHASE": phase},
            preset=preset,
        )
        self._account(s, outcome.usage)
        if outcome.failure == "timeout" and bound_by_budget:
            outcome = replace(outcome, failure="budget", detail=self._budget_text("wall_clock"))
        deps.journal.write_json(pdir / "runner.json", _outcome_record(outcome, deps.secrets))
        commit_message = deps.templates.render(
            "commit_message.txt.j2", issue=self.issue, cycle=s.cycle, phase=phase,
            packet=outcome.packet,
        )
        sha = wt.commit_all(commit_message, deps.config.git.author_name, deps.config.git.author_email)
        if sha:
            self._event(s, "commit", sha=sha)
        self._revert_protected(s, wt)
        if outcome.failure == "no_packet" and preset is not None:
            outcome = self._packet_from_diff_or_failure(s, wt, outcome)
        if outcome.failure or outcome.packet is None:
            self._event(s, "runner.failed", kind=outcome.failure, exit_code=outcome.exit_code,
                        detail=redact(outcome.detail, deps.secrets))
            s.failure = Failure(
                kind=outcome.failure or "bad_packet",
                detail=redact(outcome.detail, deps.secrets),
                output_tail=redact(outcome.output_tail, deps.secrets)[-3000:],
            )
            reason = "budget" if outcome.failure == "budget" else "runner_failed"
            return self._stop(s, wt, phase, State.BLOCKED, Handoff(reason=reason))
        packet = outcome.packet
        self._event(s, "runner.done", status=packet.status, reported_by=packet.reported_by,
                    usage=outcome.usage.model_dump())
        if packet.status == "blocked":
            s.failure = Failure(kind="runner_blocked", detail=redact(packet.summary, deps.secrets))
            return self._stop(s, wt, phase, State.BLOCKED, self._handoff("runner_blocked", packet, None))
        if packet.status == "question":
            s.question = packet.question
            return self._stop(s, wt, phase, State.NEEDS_ANSWER, None)
        s.history.append(PhaseRecord(cycle=s.cycle, phase=phase, outcome="done", detail=packet.summary[:300]))
        over = self._over_budget()
        if over:
            s.failure = Failure(kind="budget", detail=over)
            return self._stop(s, wt, phase, State.BLOCKED, self._handoff("budget", packet, None))
        return packet

    # -- presets and budgets -----------------------------------------------------------------
    def _runner_command(self, wt: Git) -> str:
        """The SE runner's command line: the configured one, or the preset's for the agent."""
        cfg = self.deps.config.runner
        preset = preset_of(cfg.preset)
        if preset is None:
            return self.deps.runner.command
        files: tuple[str, ...] = ()
        if preset.needs_files:
            scope = compile_globs(self.order.in_scope)
            files = tuple(f for f in wt.run("ls-files").splitlines() if scope.match_file(f))[:100]
        settings = AgentSettings(executable=self.deps.runner.command or None, model=cfg.model,
                                 extra_args=tuple(cfg.extra_args), max_turns=cfg.max_turns,
                                 allowed_tools=tuple(cfg.allowed_tools), files=files)
        return preset.command("se", settings)

    def _phase_timeout(self) -> tuple[float, bool]:
        """Seconds the next phase may run, and whether the run's wall-clock budget is what limits it."""
        limit = float(self.deps.runner.timeout_s)
        wall = self.deps.config.budgets.wall_clock
        if wall is None:
            return limit, False
        left = wall - (self.deps.clock() - self.started)
        return (left, True) if left < limit else (limit, False)

    def _account(self, s: TrackingState, usage: Usage) -> None:
        """Add an agent's reported usage to this run's and the whole loop's totals."""
        self.run_usage = self.run_usage + usage
        s.usage = s.usage + usage

    def _over_budget(self) -> str | None:
        """Why this run is over its budget (the tracking comment shows it), or None."""
        b = self.deps.config.budgets
        if b.max_cost_usd is not None and self.run_usage.cost_usd > b.max_cost_usd:
            return self._budget_text("cost")
        if b.max_tokens is not None and self.run_usage.tokens > b.max_tokens:
            return self._budget_text("tokens")
        if b.wall_clock is not None and self.deps.clock() - self.started >= b.wall_clock:
            return self._budget_text("wall_clock")
        return None

    def _budget_text(self, kind: str) -> str:
        return self.deps.templates.render_line("budget_reached.txt.j2", kind=kind, budgets=self.deps.config.budgets,
                                               used=self.run_usage)

    def _packet_from_diff_or_failure(self, s: TrackingState, wt: Git, outcome: RunnerOutcome) -> RunnerOutcome:
        """An agent handed back no DoD packet. With changes in this phase, the action builds one from
        the real diff; with none, the agent did no work (e.g. it never reached its model and exited 0):
        that is a runner failure, never done work."""
        assert s.base_sha is not None
        if wt.rev("HEAD") == self.phase_start:
            detail = self.deps.templates.render_line("no_work.txt.j2", error=outcome.agent_error)
            return replace(outcome, failure="agent_error", detail=detail)
        paths = read_diff(wt, s.base_sha, "HEAD").touched_paths
        summary = self.deps.templates.render_line("action_packet_summary.txt.j2", paths=paths)
        packet = DoDPacket(status="done", summary=summary, files_changed=paths, reported_by="action")
        return replace(outcome, failure=None, packet=packet)

    def _revert_protected(self, s: TrackingState, wt: Git) -> None:
        """Never push a change to a protected path (workflows, the config): revert it in a commit of
        the action's own; the review still reports it as a BLOCKER."""
        assert s.base_sha is not None
        protected = compile_globs(self.deps.config.protected)
        changed = [p for p in read_diff(wt, s.base_sha, "HEAD").touched_paths if protected.match_file(p)]
        if not changed:
            return
        wt.restore_paths(s.base_sha, changed)
        message = self.deps.templates.render("revert_message.txt.j2", paths=changed, issue=self.issue)
        cfg = self.deps.config.git
        wt.commit_all(message, cfg.author_name, cfg.author_email)
        self.reverted = sorted({*self.reverted, *changed})
        self._event(s, "protected_reverted", paths=changed)

    def _stop(self, s: TrackingState, wt: Git, phase: str, new: State, handoff: Handoff | None) -> None:
        """End the loop early: keep whatever the runner made on the branch, record, publish."""
        s.history.append(
            PhaseRecord(cycle=s.cycle, phase=phase, outcome=new.value, detail=(s.failure.detail if s.failure else ""))
        )
        head = wt.rev("HEAD")
        if head and head != s.base_sha:
            self._push(s, wt)
        s.handoff = handoff
        self.tracker.set_state(s, new)
        self._publish(s)
        self._event(s, "loop.end", state=new.value, reason=s.failure.kind if s.failure else "question")
        return None

    # -- PO review ---------------------------------------------------------------------------
    def _review(self, s: TrackingState, wt: Git, packet: DoDPacket, gates=GATES, push: bool = True) -> Verdict:
        deps = self.deps
        s.phase = "review"
        self.tracker.set_state(s, State.REVIEW)
        self._publish(s)
        pdir = deps.journal.phase_dir(self.n, s.cycle, "review")
        assert s.base_sha is not None
        diff = read_diff(wt, s.base_sha, "HEAD")
        (pdir / "diff.patch").write_text(read_patch(wt, s.base_sha, "HEAD"), encoding="utf-8")
        runs = run_verify_commands(
            [*deps.config.verify, *self.order.verify], wt.repo, deps.verify_env, deps.config.verify_timeout, pdir
        )
        wt.discard_changes()  # what verify wrote is not the agent's work
        deps.journal.write_json(pdir / "verify.json", [r.model_dump() for r in runs])
        for run in runs:
            self._event(s, "verify", command=run.cmd, exit_code=run.exit_code, timed_out=run.timed_out)
        reverted = tuple(p for p in self.reverted if p not in diff.touched_paths)
        findings = run_gates(GateContext(self.order, deps.config, diff, runs, packet, wt.repo, reverted), gates)
        self.reverted = []
        notes: list[str] = []
        if deps.config.reviewer.preset != "none":
            patch = (pdir / "diff.patch").read_text(encoding="utf-8", errors="replace")
            llm = run_llm_reviewer(deps.config.reviewer, deps.templates, deps.reviewer_env, wt, pdir, {
                "issue": self.issue, "order": self.order, "cycle": s.cycle, "packet": packet, "findings": findings,
                "diff": patch[:MAX_REVIEW_DIFF], "diff_truncated": len(patch) > MAX_REVIEW_DIFF,
                "rules": deps.rules, "rules_path": deps.rules_path})
            self._account(s, llm.usage)
            self._event(s, "llm_review", findings=len(llm.findings), notes=len(llm.notes), usage=llm.usage.model_dump())
            findings = order_findings(findings + llm.findings)
            notes = llm.notes
        findings = [f.model_copy(update={"evidence": redact(f.evidence, deps.secrets)}) if f.evidence else f for f in findings]
        outcome = verdict_for(findings)
        corrective = None
        if outcome == "FAIL":
            corrective = deps.templates.render(
                "corrective_prompt.md.j2", order=self.order, findings=findings, cycle=s.cycle, packet=packet
            )
        verdict = Verdict(verdict=outcome, findings=findings, corrective_prompt=corrective, notes=notes)
        deps.journal.write_json(pdir / "verdict.json", verdict.model_dump(mode="json"))
        self._event(
            s, "verdict", verdict=outcome, rules=[f.rule for f in findings],
            blocker=verdict.count(Severity.BLOCKER), major=verdict.count(Severity.MAJOR), minor=verdict.count(Severity.MINOR),
        )
        s.verdict = outcome
        s.findings = findings
        s.head_sha = wt.rev("HEAD")
        s.history.append(
            PhaseRecord(cycle=s.cycle, phase="review", outcome=outcome, detail=f"{len(findings)} findings")
        )
        if not diff.is_empty:
            if push:
                self._push(s, wt)
            self._publish_verdict(s, packet, verdict, diff, runs)
        return verdict

    def _publish_verdict(self, s: TrackingState, packet: DoDPacket, verdict: Verdict, diff: Diff, runs: list[VerifyRun]) -> None:
        deps = self.deps
        forge = deps.forge
        pr_body = deps.templates.render(
            "pull_request.md.j2", issue=self.issue, order=self.order, packet=packet, s=s, verify_runs=runs
        )
        if s.pr_number is None:
            assert s.branch is not None
            existing = forge.find_pull_request(s.branch)
            if existing is None:
                title = deps.templates.render_line("pull_request_title.txt.j2", issue=self.issue)
                pr = forge.create_pull_request(s.branch, deps.default_branch, title, pr_body, draft=True)
                self._event(s, "pull_request", number=pr.number, created=True)
            else:
                pr = existing
                forge.update_pull_request(pr.number, pr_body)
                self._event(s, "pull_request", number=pr.number, created=False)
            s.pr_number = pr.number
        else:
            forge.update_pull_request(s.pr_number, pr_body)
        added = {(a.path, a.line) for a in diff.added_lines}
        inline = [
            ReviewComment(path=f.path, line=f.line, body=deps.templates.render("review_comment.md.j2", f=f))
            for f in verdict.findings
            if f.path and f.line and (f.path, f.line) in added
        ][:MAX_INLINE_COMMENTS]
        body = deps.templates.render("review.md.j2", verdict=verdict, s=s, order=self.order, run_url=deps.run_url)
        reviewer = deps.review_forge or forge
        event = "REQUEST_CHANGES" if verdict.verdict == "FAIL" and deps.review_forge is not None else "COMMENT"
        assert s.head_sha is not None
        try:
            reviewer.create_review(s.pr_number, s.head_sha, event, body, inline)
        except ForgeError as exc:
            if exc.status != 422 or event == "COMMENT":
                raise
            event = "COMMENT"  # GitHub refuses REQUEST_CHANGES on the reviewer's own PR
            reviewer.create_review(s.pr_number, s.head_sha, event, body, inline)
        self._event(s, "review", review_event=event, inline_comments=len(inline))
        awaiting = verdict.verdict == "PASS" and deps.config.require_human_approval and s.approved_sha != s.head_sha
        state = "failure" if verdict.verdict == "FAIL" else ("pending" if awaiting else "success")
        description = deps.templates.render_line("status_description.txt.j2", verdict=verdict, s=s, awaiting=awaiting)[:140]
        forge.set_commit_status(s.head_sha, state, STATUS_CONTEXT, description, deps.run_url)
        self._event(s, "commit_status", state=state, context=STATUS_CONTEXT)

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
        s.run_url = self.deps.run_url
        self.tracker.publish(s)

    def _event(self, s: TrackingState, event: str, **data: object) -> None:
        self.deps.journal.event(self.n, s.cycle, s.phase or "start", event, **data)

    @staticmethod
    def _handoff(reason: str, packet: DoDPacket | None, verdict: Verdict | None) -> Handoff:
        findings: list[Finding] = verdict.findings if verdict else []
        return Handoff(
            reason=reason,
            completed=[packet.summary] if packet else [],
            pending=[f for f in findings if f.severity != Severity.MINOR],
            risks=[*(packet.limitations if packet else []), *(packet.assumptions if packet else []),
                   *[f.message for f in findings if f.severity == Severity.MINOR]],
        )


def _outcome_record(outcome: RunnerOutcome, secrets: tuple[str, ...]) -> dict:
    return {
        "failure": outcome.failure,
        "detail": redact(outcome.detail, secrets),
        "agent_error": redact(outcome.agent_error, secrets) if outcome.agent_error else None,
        "exit_code": outcome.exit_code,
        "duration_s": outcome.duration_s,
        "packet": outcome.packet.model_dump(mode="json") if outcome.packet else None,
    }
