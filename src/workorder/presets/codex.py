"""Codex CLI (``@openai/codex``): ``codex exec`` non-interactively.

Docs: https://developers.openai.com/codex/noninteractive (and ``codex exec --help`` of the pinned
version). The prompt comes on stdin (``-``), JSONL events (``--json``) go to a file, the final message
to a file (``-o``), structured output is enforced against a JSON Schema (``--output-schema``); the
sandbox is ``workspace-write`` for the SE runner and ``read-only`` for the reviewer (on Linux Codex
runs commands under its bundled bubblewrap with a seccomp filter). ``--ephemeral`` keeps no session
files; ``-c`` overrides (:data:`OVERRIDES`) switch off analytics, feedback and the update check, run
the agent's commands in a non-login shell and keep the API key out of their environment.

The key: ``codex exec`` 0.169 reads ``CODEX_API_KEY`` (with only ``OPENAI_API_KEY`` set it sends no
Authorization header), so the key is exported under both names. A proxy or self-hosted endpoint is a
model provider given with ``-c`` in ``runner.extra_args`` (see docs/presets.md).

Events (``codex exec --json``, one JSON object a line): ``thread.started``, ``turn.started``,
``item.started`` / ``item.completed`` (``agent_message``, ``command_execution``, ``file_change``, and
``error`` items, which are warnings), ``turn.completed`` with ``usage`` (``input_tokens``,
``cached_input_tokens``, ``output_tokens``), ``turn.failed`` with ``error.message``, and top-level
``error`` events (``Reconnecting... n/5 (...)`` while it retries, then the final reason).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .base import AgentPreset, AgentReport, AgentSettings, InstallSpec, Role, Usage, q, read_text

# ``-c`` overrides on every call: no analytics, feedback or update check; commands the agent runs get a
# plain (non-login) shell, so they see the PATH the action gives (a login shell re-reads /etc/profile,
# which on Debian resets PATH and loses e.g. actions/setup-python's interpreter), and not the API key.
OVERRIDES = ("analytics.enabled=false", "feedback.enabled=false", "check_for_update_on_startup=false",
             "allow_login_shell=false", 'shell_environment_policy.exclude=["*API_KEY*"]')
RETRYING = "Reconnecting..."


@dataclass(frozen=True)
class CodexPreset(AgentPreset):
    """The ``codex`` preset."""

    def command(self, role: Role, settings: AgentSettings) -> str:
        """``codex exec --json --sandbox <workspace-write | read-only> --skip-git-repo-check --ephemeral
        <-c OVERRIDES> -o <phase>/last-message.md --output-schema <phase>/output-schema.json
        [-m model] [extra args] - < prompt > <phase>/agent-events.jsonl``."""
        sandbox = "workspace-write" if role == "se" else "read-only"
        parts = [self.exe(settings), "exec", "--json", "--sandbox", sandbox, "--skip-git-repo-check", "--ephemeral"]
        for override in OVERRIDES:
            parts += ["-c", q(override)]
        parts += ["-o", '"$WORKORDER_PHASE_DIR/last-message.md"',
                  "--output-schema", '"$WORKORDER_PHASE_DIR/output-schema.json"']
        if settings.model:
            parts += ["-m", q(settings.model)]
        parts += [q(a) for a in settings.extra_args]
        parts += ["-", '< "$WORKORDER_PROMPT_FILE"', '> "$WORKORDER_PHASE_DIR/agent-events.jsonl"']
        return " ".join(parts)

    def report(self, phase_dir: Path) -> AgentReport:
        """Usage is the sum of every ``turn.completed`` ``usage`` (one turn each); the final message is
        the ``-o`` file; the error is the ``turn.failed`` message, else the last ``error`` event that is
        not a retry notice when no turn completed (else the last retry notice: it was stopped while retrying),
        else the ``Error: ...`` line Codex printed on stderr
        (``output.log``) before it produced any event (a bad ``-c`` override, an unknown provider)."""
        events = _events(read_text(phase_dir / "agent-events.jsonl") or "")
        usage, error, retry, completed = Usage(), None, None, False
        for event in events:
            kind = event.get("type")
            if kind == "turn.completed":
                u = event.get("usage") if isinstance(event.get("usage"), dict) else {}
                usage = usage + Usage(tokens_in=int(u.get("input_tokens") or 0),
                                      tokens_out=int(u.get("output_tokens") or 0), turns=1)
                completed, error = True, None
            elif kind == "turn.failed":
                failed = event.get("error") if isinstance(event.get("error"), dict) else {}
                error = str(failed.get("message") or "the turn failed")
            elif kind == "error" and not completed:
                said = str(event.get("message") or "")
                if said.startswith(RETRYING):
                    retry = said
                else:
                    error = said or error
        if error is None and not completed:
            error = retry
        if error is None and not events:
            error = _stderr_error(read_text(phase_dir / "output.log") or "")
        return AgentReport(usage=usage, final_message=read_text(phase_dir / "last-message.md"), error=error)


def _events(text: str) -> list[dict]:
    """The JSON objects of a JSONL ``text``; other lines (log noise) are skipped."""
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _stderr_error(text: str) -> str | None:
    """The message of the first ``Error: ...`` line of Codex's stderr ``text``, or None."""
    for line in text.splitlines():
        if line.startswith("Error: "):
            return line[len("Error: "):].strip() or None
    return None


CODEX = CodexPreset(
    name="codex", executable="codex", install=InstallSpec("npm", "@openai/codex", "0.169.0"),
    key_env="OPENAI_API_KEY", key_targets=("CODEX_API_KEY", "OPENAI_API_KEY"),
    packet_channel="structured_output", roles=("se", "review"), needs_user_namespaces=True,
)
