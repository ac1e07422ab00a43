"""The optional LLM PO reviewer, on top of the deterministic gates and never looser than them.

It gets a review prompt (templates/review_prompt.md.j2: the work order, the team rules, the diff, the
DoD packet, the gates' findings with evidence) and must return a PO verdict JSON (the same schema as
:class:`workorder.contracts.packet.Verdict`) in ``$WORKORDER_RESULT_FILE`` or as its final message. An
invalid answer is retried once; then the verdict rests on the gates alone, with a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..contracts.config import ReviewerConfig
from ..contracts.packet import Finding, Severity, Verdict, parse_verdict
from ..shell.gitops import Git
from ..shell.isolation import Sandbox
from ..presets import VERDICT_OUTPUT_SCHEMA, AgentSettings, Usage, extract_json_object, packet_channel, preset_of, read_report
from ..inputs.problems import InvalidInput
from ..shell.proc import run_shell
from ..templates import Templates

ATTEMPTS = 2


@dataclass(frozen=True)
class LlmReview:
    """What the LLM reviewer added: its findings (marked ``source="llm"``), notes on how it went, and
    the usage it reported."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


def reviewer_command(cfg: ReviewerConfig) -> str:
    """The reviewer's command line: its own (preset command) or the agent preset's, read-only."""
    preset = preset_of(cfg.preset)
    if preset is None:
        return cfg.command or ""
    settings = AgentSettings(executable=cfg.command, model=cfg.model, extra_args=tuple(cfg.extra_args),
                             max_turns=cfg.max_turns)
    return preset.command("review", settings)


def run_llm_reviewer(cfg: ReviewerConfig, templates: Templates, env: dict[str, str], worktree: Git,
                     phase_dir: Path, context: dict, sandbox: Sandbox | None = None) -> LlmReview:
    """Ask the reviewer for a verdict (``context`` fills the review prompt). The work tree is put back
    to its commit afterwards, whatever the reviewer did. With a ``sandbox`` the reviewer runs as its agent
    user. Never raises for the reviewer's failures."""
    prompt = templates.render("review_prompt.md.j2", channel=packet_channel(cfg.preset), **context)
    command = reviewer_command(cfg)
    usage = Usage()
    notes: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        adir = phase_dir / f"llm-review-{attempt}"
        adir.mkdir(parents=True, exist_ok=True)
        (adir / "prompt.md").write_text(prompt, encoding="utf-8")
        (adir / "output-schema.json").write_text(json.dumps(VERDICT_OUTPUT_SCHEMA), encoding="utf-8")
        result_file = adir / "verdict.json"
        run_env = {**env, "WORKORDER_PROMPT_FILE": str(adir / "prompt.md"), "WORKORDER_RESULT_FILE": str(result_file),
                   "WORKORDER_PHASE_DIR": str(adir)}
        outcome = run_shell(command, worktree.repo, run_env, cfg.timeout, adir / "output.log", sandbox=sandbox,
                            exchange=adir)
        worktree.discard_changes()
        report = read_report(cfg.preset, adir)
        usage = usage + report.usage
        text = result_file.read_text(encoding="utf-8", errors="replace") if result_file.exists() else \
            extract_json_object(report.final_message, "verdict")
        try:
            if outcome.exit_code != 0 or text is None:
                raise ValueError("no verdict")
            verdict = parse_verdict(text)
        except (ValueError, InvalidInput):
            notes.append(templates.render_line("reviewer_note.txt.j2", kind="invalid", attempt=attempt,
                                               timed_out=outcome.timed_out, exit_code=outcome.exit_code))
            continue
        return LlmReview(findings=llm_findings(verdict, templates), notes=notes, usage=usage)
    notes.append(templates.render_line("reviewer_note.txt.j2", kind="gates_only", attempt=ATTEMPTS))
    return LlmReview(notes=notes, usage=usage)


def llm_findings(verdict: Verdict, templates: Templates) -> list[Finding]:
    """The reviewer's findings, marked as the LLM's. A FAIL verdict with no BLOCKER or MAJOR finding
    still fails: it becomes a MAJOR ``llm.verdict`` finding. (Merged with the gates' findings, the
    result is never looser than the gates: an LLM PASS removes nothing.)"""
    findings = [f.model_copy(update={"source": "llm", "rule": f.rule if f.rule.startswith("llm.") else f"llm.{f.rule}"})
                for f in verdict.findings]
    serious = any(f.severity in (Severity.BLOCKER, Severity.MAJOR) for f in findings)
    if verdict.verdict == "FAIL" and not serious:
        findings.append(Finding(severity=Severity.MAJOR, rule="llm.verdict", source="llm",
                                message=templates.render_line("reviewer_note.txt.j2", kind="fail_without_findings"),
                                evidence=(verdict.corrective_prompt or "")[:1000] or None))
    return findings
