"""aider (``aider-chat`` on PyPI), scripted.

Docs: https://aider.chat/docs/scripting.html and /config/options.html. The message comes from the
prompt file (``--message-file``), ``--yes-always``, ``--no-auto-commits`` (the action commits), plain
output, and the in-scope files on the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .base import AgentPreset, AgentReport, AgentSettings, InstallSpec, Role, Usage, q, read_text

_USAGE = re.compile(
    r"Tokens: ([\d.]+)([kM]?) sent, ([\d.]+)([kM]?) received\.(?: Cost: \$([\d.]+) message, \$([\d.]+) session\.)?"
)


def _count(number: str, suffix: str) -> int:
    return int(round(float(number) * {"": 1, "k": 1_000, "M": 1_000_000}[suffix]))


@dataclass(frozen=True)
class AiderPreset(AgentPreset):
    """The ``aider`` preset."""

    def command(self, role: Role, settings: AgentSettings) -> str:
        parts = [self.exe(settings), "--message-file", '"$WORKORDER_PROMPT_FILE"', "--yes-always",
                 "--no-auto-commits", "--no-stream", "--no-pretty", "--no-check-update", "--no-show-model-warnings"]
        if settings.model:
            parts += ["--model", q(settings.model)]
        parts += [q(a) for a in settings.extra_args]
        if settings.files:
            parts += ["--", *(q(f) for f in settings.files)]
        return " ".join(parts)

    def report(self, phase_dir: Path) -> AgentReport:
        """Sum aider's per-message ``Tokens: … sent, … received. Cost: $… message`` lines of its output."""
        output = read_text(phase_dir / "output.log") or ""
        usage = Usage()
        for m in _USAGE.finditer(output):
            usage = usage + Usage(tokens_in=_count(m.group(1), m.group(2)), tokens_out=_count(m.group(3), m.group(4)),
                                  cost_usd=float(m.group(5) or 0), turns=1)
        return AgentReport(usage=usage, final_message=output or None)


AIDER = AiderPreset(
    name="aider", executable="aider", install=InstallSpec("pip", "aider-chat", "0.86.2"),
    key_env=None, packet_channel="final_message", needs_files=True,
    leaves_behind=(".aider*",),
)
