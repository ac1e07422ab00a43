"""The SE phase: the coding agent works in the work tree and hands back a DoD packet.

One phase renders the prompt, runs the SE runner (behind the credential boundary when there is one,
within the run's budget), commits what it changed, reverts any change to a protected path, and
classifies what came back: :class:`workorder.loop.phases.Developed` with the packet, or
:class:`workorder.loop.phases.Stopped` (runner failure, budget, blocked, question).
"""

from __future__ import annotations

from dataclasses import replace

from ..contracts.packet import DoDPacket, Finding, Severity, Verdict
from ..evidence.diff import read_diff
from ..shell.gitops import Git
from ..inputs.globs import compile_globs, split_new
from .heldout_run import heldout_files
from .heldout_run import hide as hide_heldout
from .phases import Developed, PhaseContext, PhaseResult, Stopped
from ..presets import AgentSettings, packet_channel, preset_of
from ..presets.base import NOT_YOUR_JOB_FILE
from ..agents.runner import RunnerOutcome, RunnerSpec, redact, run_se_runner
from ..gates.secret_scan import mask_text
from .state import Failure, Handoff, PhaseRecord, State, TrackingState


class SePhase:
    """Runs the SE phase of one cycle for the loop run described by ``ctx``."""

    def __init__(self, ctx: PhaseContext):
        self.ctx = ctx
        self.phase_start: str | None = None  # HEAD of the work tree when the phase started

    def run(self, s: TrackingState, wt: Git, phase: str) -> PhaseResult:
        """Run the agent once (``phase`` dev or fix) and classify the outcome. Updates ``s`` (usage,
        question, failure, history); never pushes or publishes (the loop does)."""
        ctx, deps = self.ctx, self.ctx.deps
        pdir = deps.journal.phase_dir(ctx.number, s.cycle, phase)
        prompt = self._prompt(s, phase)
        ctx.event(s, "runner.start")
        self.phase_start = wt.rev("HEAD")
        hide_heldout(wt, deps.config.acceptance.paths)  # held-out acceptance tests never reach the agent
        pdir.mkdir(parents=True, exist_ok=True)
        not_yours = [*(split_new(g)[0] for g in ctx.order.out_of_scope), *deps.config.protected]
        (pdir / NOT_YOUR_JOB_FILE).write_text("".join(f"{g}\n" for g in not_yours), encoding="utf-8")
        timeout, bound_by_budget = ctx.budget.phase_timeout(deps.runner.timeout_s)
        if timeout <= 0:
            s.failure = Failure(kind="budget", detail=ctx.budget.text("wall_clock"))
            return Stopped(State.BLOCKED, Handoff(reason="budget"))
        network = getattr(deps.sandbox, "network", None)  # issue 18: the model proxy counts usage itself
        before = network.snapshot() if network else None
        outcome = run_se_runner(
            RunnerSpec(command=self.runner_command(wt), timeout_s=timeout, env=deps.runner.env), wt.repo, prompt, pdir,
            {"WORKORDER_ISSUE": str(ctx.number), "WORKORDER_CYCLE": str(s.cycle), "WORKORDER_PHASE": phase,
             "WORKORDER_BASE_SHA": s.base_sha or ""},
            preset=preset_of(deps.config.runner.preset), sandbox=deps.sandbox,
        )
        if network is not None:
            outcome = network.settle(before, outcome)
        ctx.account(s, outcome.usage)
        if outcome.failure == "timeout" and bound_by_budget:
            outcome = replace(outcome, failure="budget", detail=ctx.budget.text("wall_clock"))
        deps.journal.write_json(pdir / "runner.json", outcome_record(outcome, deps.secrets))
        self._commit(s, wt, phase, outcome)
        return self._classify(s, wt, phase, outcome)

    def _prompt(self, s: TrackingState, phase: str) -> str:
        """The SE prompt (templates/prompt.md.j2); takes the runner's open question off ``s``."""
        ctx, deps = self.ctx, self.ctx.deps
        asked, s.question = s.question, None
        return deps.templates.render(
            "prompt.md.j2", order=ctx.order, issue=ctx.issue, cycle=s.cycle, max_cycles=s.max_cycles, phase=phase,
            corrective_prompt=s.corrective_prompt, answer=s.answer, question=asked, protected=deps.config.protected,
            verify=[*deps.config.verify, *ctx.order.verify], rules=deps.rules, rules_path=deps.rules_path,
            channel=packet_channel(deps.config.runner.preset), workshop=deps.sandbox is not None,
            plan=s.plan if s.plan_approved_by else None,
        )

    def _commit(self, s: TrackingState, wt: Git, phase: str, outcome: RunnerOutcome) -> None:
        """Commit what the agent changed (never what ``never_commit`` excludes), then revert protected paths."""
        ctx, deps = self.ctx, self.ctx.deps
        message = deps.templates.render("commit_message.txt.j2", issue=ctx.issue, cycle=s.cycle, phase=phase,
                                        packet=outcome.packet)
        sha = wt.commit_all(mask_text(message, deps.secrets), deps.config.git.author_name, deps.config.git.author_email)
        if sha:
            ctx.event(s, "commit", sha=sha)
        self._revert_protected(s, wt)

    def _classify(self, s: TrackingState, wt: Git, phase: str, outcome: RunnerOutcome) -> PhaseResult:
        """Developed with the packet, or Stopped: runner failure, blocked, question, or over budget."""
        ctx, deps = self.ctx, self.ctx.deps
        if outcome.failure == "no_packet" and preset_of(deps.config.runner.preset) is not None:
            outcome = self._packet_from_diff_or_failure(s, wt, outcome)
        if outcome.failure or outcome.packet is None:
            ctx.event(s, "runner.failed", kind=outcome.failure, exit_code=outcome.exit_code,
                      detail=redact(outcome.detail, deps.secrets))
            s.failure = Failure(kind=outcome.failure or "bad_packet", detail=redact(outcome.detail, deps.secrets),
                                output_tail=redact(outcome.output_tail, deps.secrets)[-3000:])
            return Stopped(State.BLOCKED, Handoff(reason="budget" if outcome.failure == "budget" else "runner_failed"))
        packet = outcome.packet
        ctx.event(s, "runner.done", status=packet.status, reported_by=packet.reported_by,
                  usage=outcome.usage.model_dump())
        if packet.status == "blocked":
            s.failure = Failure(kind="runner_blocked", detail=redact(packet.summary, deps.secrets))
            return Stopped(State.BLOCKED, handoff_of("runner_blocked", packet, None))
        if packet.status == "question":
            s.question = packet.question
            return Stopped(State.NEEDS_ANSWER, None)
        s.history.append(PhaseRecord(cycle=s.cycle, phase=phase, outcome="done", detail=packet.summary[:300]))
        over = ctx.budget.over()
        if over:
            s.failure = Failure(kind=ctx.budget.failure_kind, detail=over)  # budget, or budget_exhausted
            return Stopped(State.BLOCKED, handoff_of(ctx.budget.failure_kind, packet, None))
        return Developed(packet)

    def runner_command(self, wt: Git) -> str:
        """The SE runner's command line: the configured one, or the preset's for the agent."""
        deps = self.ctx.deps
        cfg = deps.config.runner
        preset = preset_of(cfg.preset)
        if preset is None:
            return deps.runner.command
        files: tuple[str, ...] = ()
        if preset.needs_files:
            scope = compile_globs(self.ctx.order.in_scope)
            hidden = set(heldout_files(wt, deps.config.acceptance.paths))
            files = tuple(f for f in wt.run("ls-files").splitlines() if scope.match_file(f) and f not in hidden)[:100]
        settings = AgentSettings(executable=deps.runner.command or None, model=cfg.model,
                                 extra_args=tuple(cfg.extra_args), max_turns=cfg.max_turns,
                                 allowed_tools=tuple(cfg.allowed_tools), files=files)
        from ..agents.agent_network import runner_command  # issue 18: codex reaches the model proxy as a provider

        return runner_command(preset.name, preset.command("se", settings), deps.runner.env)

    def _packet_from_diff_or_failure(self, s: TrackingState, wt: Git, outcome: RunnerOutcome) -> RunnerOutcome:
        """An agent handed back no DoD packet. With changes in this phase, the action builds one from
        the real diff; with none, the agent did no work (e.g. it never reached its model and exited 0):
        that is a runner failure, never done work."""
        assert s.base_sha is not None
        templates = self.ctx.deps.templates
        if wt.rev("HEAD") == self.phase_start:
            return replace(outcome, failure="agent_error",
                           detail=templates.render_line("no_work.txt.j2", error=outcome.agent_error))
        paths = read_diff(wt, s.base_sha, "HEAD").touched_paths
        summary = templates.render_line("action_packet_summary.txt.j2", paths=paths)
        packet = DoDPacket(status="done", summary=summary, files_changed=paths, reported_by="action")
        return replace(outcome, failure=None, packet=packet)

    def _revert_protected(self, s: TrackingState, wt: Git) -> None:
        """Never push a change to a protected path (workflows, the config): revert it in a commit of
        the action's own; the review still reports it as a BLOCKER."""
        assert s.base_sha is not None
        ctx, deps = self.ctx, self.ctx.deps
        protected = compile_globs(deps.config.protected)
        changed = [p for p in read_diff(wt, s.base_sha, "HEAD").touched_paths if protected.match_file(p)]
        if not changed:
            return
        wt.restore_paths(s.base_sha, changed)
        message = deps.templates.render("revert_message.txt.j2", paths=changed, issue=ctx.issue)
        wt.commit_all(message, deps.config.git.author_name, deps.config.git.author_email)
        ctx.reverted[:] = sorted({*ctx.reverted, *changed})
        ctx.event(s, "protected_reverted", paths=changed)


def handoff_of(reason: str, packet: DoDPacket | None, verdict: Verdict | None) -> Handoff:
    """What a person needs to take over: ``reason``, what the packet says is done, the BLOCKER and
    MAJOR findings pending, and the risks (the packet's limitations and assumptions, MINOR findings)."""
    findings: list[Finding] = verdict.findings if verdict else []
    return Handoff(
        reason=reason,
        completed=[packet.summary] if packet else [],
        pending=[f for f in findings if f.severity != Severity.MINOR],
        risks=[*(packet.limitations if packet else []), *(packet.assumptions if packet else []),
               *[f.message for f in findings if f.severity == Severity.MINOR]],
    )


def outcome_record(outcome: RunnerOutcome, secrets: tuple[str, ...]) -> dict:
    """The run record of one SE runner outcome (``runner.json``), redacted."""
    return {
        "failure": outcome.failure,
        "detail": redact(outcome.detail, secrets),
        "agent_error": redact(outcome.agent_error, secrets) if outcome.agent_error else None,
        "exit_code": outcome.exit_code,
        "duration_s": outcome.duration_s,
        "packet": outcome.packet.model_dump(mode="json") if outcome.packet else None,
    }


__all__ = ["SePhase", "handoff_of", "outcome_record"]
