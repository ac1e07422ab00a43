"""Claude Code (``@anthropic-ai/claude-code``) in print mode.

Docs: https://docs.claude.com/en/docs/claude-code/headless and /cli-reference. ``-p`` with the prompt
on stdin, ``--output-format json`` (one result object) to a file, ``--max-turns``, the allowed tools
(``--allowedTools``); the SE runner accepts edits in the work tree (``--permission-mode
acceptEdits``), the reviewer only reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .base import AgentPreset, AgentReport, AgentSettings, InstallSpec, Role, Usage, q, read_text

REVIEW_TOOLS = ("Read", "Glob", "Grep")


@dataclass(frozen=True)
class ClaudePreset(AgentPreset):
    """The ``claude`` preset."""

    def command(self, role: Role, settings: AgentSettings) -> str:
        tools = settings.allowed_tools if role == "se" else REVIEW_TOOLS
        parts = [self.exe(settings), "-p", "--output-format", "json", "--allowedTools", q(",".join(tools))]
        if role == "se":
            parts += ["--permission-mode", "acceptEdits"]
        turns = settings.max_turns or (self.default_review_turns if role == "review" else None)
        if turns:
            parts += ["--max-turns", str(turns)]
        if settings.model:
            parts += ["--model", q(settings.model)]
        parts += [q(a) for a in settings.extra_args]
        parts += ['< "$WORKORDER_PROMPT_FILE"', '> "$WORKORDER_PHASE_DIR/agent-result.json"']
        return " ".join(parts)

    def report(self, phase_dir: Path) -> AgentReport:
        """Read the result object: ``usage`` tokens, ``total_cost_usd``, ``num_turns``, ``result`` (the
        final message); subtype ``error_max_turns`` means the turn limit stopped it."""
        try:
            data = json.loads(read_text(phase_dir / "agent-result.json") or "")
        except ValueError:
            return AgentReport(usage=Usage())
        if isinstance(data, list):  # some versions print the whole message list; the result is last
            data = next((d for d in reversed(data) if isinstance(d, dict) and d.get("type") == "result"), {})
        if not isinstance(data, dict):
            return AgentReport(usage=Usage())
        u = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        tokens_in = sum(int(u.get(k) or 0) for k in ("input_tokens", "cache_creation_input_tokens",
                                                      "cache_read_input_tokens"))
        usage = Usage(tokens_in=tokens_in, tokens_out=int(u.get("output_tokens") or 0),
                      cost_usd=float(data.get("total_cost_usd") or 0.0), turns=int(data.get("num_turns") or 0))
        result = data.get("result") if isinstance(data.get("result"), str) else None
        return AgentReport(usage=usage, final_message=result, turn_limit_hit=data.get("subtype") == "error_max_turns")


CLAUDE = ClaudePreset(
    name="claude", executable="claude", install=InstallSpec("npm", "@anthropic-ai/claude-code", "2.1.330"),
    key_env="ANTHROPIC_API_KEY", key_targets=("ANTHROPIC_API_KEY",), packet_channel="final_message",
    roles=("se", "review"), default_review_turns=10,
)
