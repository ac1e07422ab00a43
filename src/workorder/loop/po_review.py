"""The PO review: the action's own evidence, the gates, the optional LLM reviewer, the verdict.

The action re-runs the verify commands itself (behind the credential boundary), records the tests'
results against the base's, runs the deterministic gates on the real diff, adds the LLM reviewer's
findings (never looser than the gates), redacts the evidence and writes the corrective prompt on FAIL.
It returns :class:`workorder.loop.phases.Reviewed` and makes its record (:meth:`PoReview.record`); pushing
and publishing are the loop's.
"""

from __future__ import annotations

from ..contracts.packet import DoDPacket, Finding, Severity, Verdict, verdict_for
from ..evidence.diff import Diff, read_diff, read_patch
from ..gates.criteria import evidence_table
from ..gates import GATES, order_findings, run_gates
from ..shell.gitops import Git
from ..evidence.impact import measure_impact
from .archive import archive_path, without_archive
from .review_runs import observe_review
from .phases import PhaseContext, Reviewed
from ..agents.reviewer import run_llm_reviewer
from ..agents.runner import redact
from ..gates.secret_scan import leak_findings
from ..gates.plan_check import plan_findings
from .state import PhaseRecord, Publication, TrackingState

MAX_REVIEW_DIFF = 60_000  # characters of the diff put into the LLM review prompt


def pushed_head_packet(diff: Diff) -> DoDPacket:
    """The DoD packet the action writes for commits a person pushed to the work branch, ``diff``
    being base..head of the branch (its touched paths are the packet's files_changed)."""
    return DoDPacket(status="done", summary="commits pushed by a person", files_changed=diff.touched_paths,
                     reported_by="action")


class PoReview:
    """Reviews the work of one cycle for the loop run described by ``ctx``."""

    def __init__(self, ctx: PhaseContext):
        self.ctx = ctx

    def run(self, s: TrackingState, wt: Git, packet: DoDPacket, gates=GATES) -> Reviewed:
        """Judge the work tree's HEAD against ``s.base_sha`` with ``gates``; updates ``s`` (verdict,
        findings, head, history, usage) and the run records. Returns the verdict, diff and verify runs."""
        ctx, deps = self.ctx, self.ctx.deps
        pdir = deps.journal.phase_dir(ctx.number, s.cycle, "review")
        assert s.base_sha is not None
        diff = without_archive(read_diff(wt, s.base_sha, "HEAD"), archive_path(deps.config, ctx.number, ctx.issue.title))
        (pdir / "diff.patch").write_text(read_patch(wt, s.base_sha, "HEAD"), encoding="utf-8")
        deps.journal.write_json(pdir / "replay.json", {  # what `workorder replay` needs besides the patch and packet
            "base": s.base_sha, "issue": ctx.number, "title": ctx.issue.title, "order": ctx.order.model_dump(mode="json"),
            "reverted": list(ctx.reverted), "packet": packet.model_dump(mode="json")})
        observed = observe_review(deps, ctx.number, wt, s.base_sha, ctx.order, packet, diff, pdir)  # replay's too
        runs = observed.runs
        deps.journal.write_json(pdir / "verify.json", [r.model_dump() for r in runs])
        for run in runs:
            ctx.event(s, "verify", command=run.cmd, exit_code=run.exit_code, timed_out=run.timed_out)
        reverted = tuple(p for p in ctx.reverted if p not in diff.touched_paths)
        if observed.audit is not None:
            deps.journal.write_json(pdir / "dep_audit.json", observed.audit.model_dump(mode="json"))
        gate_ctx = observed.gate_context(ctx.order, deps, diff, packet, wt, reverted)
        findings = run_gates(gate_ctx, gates)
        planned = s.plan if s.plan_approved_by and gates is GATES else None  # plan first: the agent's work only
        findings = order_findings(leak_findings(wt, s.base_sha, "HEAD", deps.secrets) + plan_findings(planned, diff) + findings)
        ctx.reverted.clear()
        findings, notes = self._llm_review(s, wt, pdir, packet, findings)
        findings = [f.model_copy(update={"evidence": redact(f.evidence, deps.secrets)}) if f.evidence else f
                    for f in findings]
        verdict = self._verdict(s, packet, findings, notes, evidence_table(gate_ctx))
        deps.journal.write_json(pdir / "verdict.json", verdict.model_dump(mode="json"))
        ctx.event(s, "verdict", verdict=verdict.verdict, rules=[f.rule for f in findings],
                  blocker=verdict.count(Severity.BLOCKER), major=verdict.count(Severity.MAJOR),
                  minor=verdict.count(Severity.MINOR))
        s.verdict, s.findings, s.head_sha = verdict.verdict, findings, wt.rev("HEAD")
        if verdict.verdict == "FAIL":  # FAIL reasons by rule, for workorder report
            s.fail_rules = dict(s.fail_rules or {})
            for f in findings:
                if f.severity != Severity.MINOR:
                    s.fail_rules[f.rule] = s.fail_rules.get(f.rule, 0) + 1
        s.history.append(PhaseRecord(cycle=s.cycle, phase="review", outcome=verdict.verdict,
                                     detail=f"{len(findings)} findings"))
        return Reviewed(verdict=verdict, diff=diff, runs=runs)

    def record(self, s: TrackingState, packet: DoDPacket, reviewed: Reviewed) -> Publication:
        """The durable checkpoint of ``reviewed`` (the review of ``packet`` at ``s.head_sha``): what the
        loop puts into the hidden state before anything of it is posted, so a re-run resumes there
        without the agent or the gates. Verify output is left out; inline findings are those on added
        lines. Raises GitError when git cannot measure the change's impact."""
        deps, verdict = self.ctx.deps, reviewed.verdict
        assert s.head_sha is not None
        added = {(a.path, a.line) for a in reviewed.diff.added_lines}
        return Publication(
            cycle=s.cycle, head_sha=s.head_sha, verdict=verdict, packet=packet,
            verify_runs=[r.model_copy(update={"output_tail": ""}) for r in reviewed.runs],
            inline=[(f.path, f.line) for f in verdict.findings if f.path and f.line and (f.path, f.line) in added],
            impact=measure_impact(deps.git, s.base_sha or "HEAD", s.head_sha, reviewed.diff, deps.config),
        )

    def _llm_review(self, s: TrackingState, wt: Git, pdir, packet: DoDPacket,
                    findings: list[Finding]) -> tuple[list[Finding], list[str]]:
        """The gates' findings plus the LLM reviewer's (when configured), and its notes."""
        ctx, deps = self.ctx, self.ctx.deps
        if deps.config.reviewer.preset == "none":
            return findings, []
        patch = (pdir / "diff.patch").read_text(encoding="utf-8", errors="replace")
        llm = run_llm_reviewer(deps.config.reviewer, deps.templates, deps.reviewer_env, wt, pdir, {
            "issue": ctx.issue, "order": ctx.order, "cycle": s.cycle, "packet": packet, "findings": findings,
            "diff": patch[:MAX_REVIEW_DIFF], "diff_truncated": len(patch) > MAX_REVIEW_DIFF,
            "rules": deps.rules, "rules_path": deps.rules_path}, sandbox=deps.sandbox)
        ctx.account(s, llm.usage)
        ctx.event(s, "llm_review", findings=len(llm.findings), notes=len(llm.notes), usage=llm.usage.model_dump())
        return order_findings(findings + llm.findings), llm.notes

    def _verdict(self, s: TrackingState, packet: DoDPacket, findings: list[Finding], notes: list[str],
                 evidence) -> Verdict:
        """The PO verdict of ``findings``, with the corrective prompt when it FAILs."""
        ctx = self.ctx
        outcome = verdict_for(findings)
        corrective = None
        if outcome == "FAIL":
            corrective = ctx.deps.templates.render("corrective_prompt.md.j2", order=ctx.order, findings=findings,
                                                   cycle=s.cycle, packet=packet)
        return Verdict(verdict=outcome, findings=findings, corrective_prompt=corrective, notes=notes,
                       evidence=evidence)
