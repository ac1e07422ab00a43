"""Codex CLI (``@openai/codex``): ``codex exec`` non-interactively.

Docs: https://developers.openai.com/codex/noninteractive. The prompt comes on stdin (``-``), JSONL
events (``--json``) go to a file, the final message to a file (``-o``), structured output is enforced
against a JSON Schema (``--output-schema``); the sandbox is ``workspace-write`` for the SE runner and
``read-only`` for the reviewer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .base import AgentPreset, AgentReport, AgentSettings, InstallSpec, Role, Usage, q, read_text


@dataclass(frozen=True)
class CodexPreset(AgentPreset):
    """The ``codex`` preset."""

    def command(self, role: Role, settings: AgentSettings) -> str:
        sandbox = "workspace-write" if role == "se" else "read-only"
        parts = [self.exe(settings), "exec", "--json", "--sandbox", sandbox, "--skip-git-repo-check",
                 "-o", '"$WORKORDER_PHASE_DIR/last-message.md"',
                 "--output-schema", '"$WORKORDER_PHASE_DIR/output-schema.json"']
        if settings.model:
            parts += ["-m", q(settings.model)]
        parts += [q(a) for a in settings.extra_args]
        parts += ["-", '< "$WORKORDER_PROMPT_FILE"', '> "$WORKORDER_PHASE_DIR/agent-events.jsonl"']
        return " ".join(parts)

    def report(self, phase_dir: Path) -> AgentReport:
        """Sum the ``usage`` of every ``turn.completed`` event; the final message is the ``-o`` file."""
        usage = Usage()
        for line in (read_text(phase_dir / "agent-events.jsonl") or "").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("type") == "turn.completed":
                u = event.get("usage") if isinstance(event.get("usage"), dict) else {}
                usage = usage + Usage(tokens_in=int(u.get("input_tokens") or 0),
                                      tokens_out=int(u.get("output_tokens") or 0), turns=1)
        return AgentReport(usage=usage, final_message=read_text(phase_dir / "last-message.md"))


CODEX = CodexPreset(
    name="codex", executable="codex", install=InstallSpec("npm", "@openai/codex", "0.169.0"),
    key_env="OPENAI_API_KEY", key_targets=("CODEX_API_KEY", "OPENAI_API_KEY"),
    packet_channel="structured_output", roles=("se", "review"),
)
