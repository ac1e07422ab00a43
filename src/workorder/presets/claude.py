"""Claude Code (``@anthropic-ai/claude-code``) in print mode; flags checked against ``claude --help``
of 2.1.330 and proven against the real CLI (tests/agents/test_real_claude.py).

Docs: https://docs.claude.com/en/docs/claude-code/headless and /cli-reference. ``-p`` with the prompt
on stdin; ``--output-format stream-json --verbose``: one JSON event a line, written as it happens (the
``system``/``init`` event with the tools on offer, one ``assistant`` event per content block of each
model call, the ``result`` object last), so a run stopped by its timeout still leaves what it did.

- tools: ``--tools`` makes only these built-in tools exist (the names of the allowed tools; in 2.1.330
  the default set has no Glob or Grep but Agent, Workflow, Skill, ...; ``LS`` and ``MultiEdit`` are
  gone), ``--allowedTools`` lets them run without asking. The SE runner accepts edits in the work
  tree (``--permission-mode acceptEdits``); the reviewer gets Read, Glob and Grep only, so it cannot
  write at all and hands back its verdict as its final message.
- turns: ``--max-turns N`` lets Claude Code call the model N times; :attr:`Usage.turns` counts those
  calls (distinct assistant message ids), not the result's ``num_turns`` (which says N+1 when the
  limit stopped it).
- errors: an API error ends with ``is_error: true`` (its ``subtype`` may still say ``success``),
  ``api_error_status``/``api_error_type`` and the CLI's own words in ``result``; other failures list
  theirs in ``errors``.
- traffic: ``CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`` (telemetry, error reporting, update checks
  off): the only requests left go to ``ANTHROPIC_BASE_URL``'s ``/v1/messages``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .base import (
    AgentPreset,
    AgentReport,
    AgentSettings,
    InstallSpec,
    Role,
    Usage,
    q,
    read_text,
)

REVIEW_TOOLS = ("Read", "Glob", "Grep")
RESULT_FILE = "agent-result.json"
"""Claude Code's stream-json output in the phase directory (one event a line, the result last)."""
QUIET = "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"


def tool_names(allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The built-in tool names of ``allowed`` (permission rules like ``Bash(git *)`` give ``Bash``),
    each once, in order."""
    names = (rule.split("(", 1)[0].strip() for rule in allowed)
    return tuple(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True)
class ClaudePreset(AgentPreset):
    """The ``claude`` preset."""

    def command(self, role: Role, settings: AgentSettings) -> str:
        allowed = settings.allowed_tools if role == "se" else REVIEW_TOOLS
        parts = [QUIET, self.exe(settings), "-p", "--output-format", "stream-json", "--verbose",
                 "--tools", q(",".join(tool_names(allowed))), "--allowedTools", q(",".join(allowed))]
        if role == "se":
            parts += ["--permission-mode", "acceptEdits"]
        turns = settings.max_turns or (self.default_review_turns if role == "review" else None)
        if turns:
            parts += ["--max-turns", str(turns)]
        if settings.model:
            parts += ["--model", q(settings.model)]
        parts += [q(a) for a in settings.extra_args]
        parts += ['< "$WORKORDER_PROMPT_FILE"', f'> "$WORKORDER_PHASE_DIR/{RESULT_FILE}"']
        return " ".join(parts)

    def report(self, phase_dir: Path) -> AgentReport:
        """Read the events: the ``result`` object's ``usage`` tokens (input, cache writes and reads
        in; output out) and ``total_cost_usd``; turns are the model calls; ``result`` is the final
        message; subtype ``error_max_turns`` means the turn limit stopped it; ``is_error`` gives the
        agent's own error text. Without a result (the run was stopped) the usage is summed from the
        assistant events. Also reads the single result object of ``--output-format json``."""
        events = read_events(read_text(phase_dir / RESULT_FILE) or "")
        result = next((e for e in reversed(events) if e.get("type") == "result"), None)
        calls = model_calls(events)
        if result is None:
            return AgentReport(usage=partial_usage(events, calls))
        u = result.get("usage") if isinstance(result.get("usage"), dict) else {}
        usage = Usage(tokens_in=tokens_in(u), tokens_out=int(u.get("output_tokens") or 0),
                      cost_usd=float(result.get("total_cost_usd") or 0.0),
                      turns=len(calls) or int(result.get("num_turns") or 0))
        text = result.get("result") if isinstance(result.get("result"), str) else None
        limit = result.get("subtype") == "error_max_turns"
        error = error_text(result) if result.get("is_error") and not limit else None
        return AgentReport(usage=usage, final_message=None if error else text, turn_limit_hit=limit, error=error)


def read_events(text: str) -> list[dict]:
    """The JSON objects in ``text``: one a line (stream-json), or one object or list (json)."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if whole is not None:
        items = whole if isinstance(whole, list) else [whole]
    else:
        items = []
        for line in text.splitlines():
            try:
                items.append(json.loads(line))
            except ValueError:
                continue
    return [i for i in items if isinstance(i, dict)]


def model_calls(events: list[dict]) -> dict[str, dict]:
    """The usage of each model call, by assistant message id (one call may span several events)."""
    calls: dict[str, dict] = {}
    for event in events:
        message = event.get("message") if event.get("type") == "assistant" else None
        if isinstance(message, dict) and message.get("id"):
            usage = message.get("usage")
            calls[str(message["id"])] = usage if isinstance(usage, dict) else {}
    return calls


def tokens_in(u: dict) -> int:
    """Input tokens of one usage object: new input, cache writes and cache reads."""
    return sum(int(u.get(k) or 0) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))


def partial_usage(events: list[dict], calls: dict[str, dict]) -> Usage:
    """Usage of a run that left no result: the input tokens of each call, and the output tokens its
    events show (a lower bound: the last count of a call arrives with the result only)."""
    return Usage(tokens_in=sum(tokens_in(u) for u in calls.values()),
                 tokens_out=sum(int(u.get("output_tokens") or 0) for u in calls.values()), turns=len(calls))


def error_text(result: dict) -> str:
    """The agent's own words for a failed run: its ``result`` text or its ``errors``, and the API's
    status and error type when an API error ended it."""
    said = result.get("result") if isinstance(result.get("result"), str) else ""
    errors = result.get("errors") if isinstance(result.get("errors"), list) else []
    words = said.strip() or "; ".join(str(e) for e in errors) or str(result.get("subtype") or "error")
    api = " ".join(str(result[k]) for k in ("api_error_status", "api_error_type") if result.get(k))
    return f"{words} (API error {api})" if api else words


CLAUDE = ClaudePreset(
    name="claude", executable="claude", install=InstallSpec("npm", "@anthropic-ai/claude-code", "2.1.330"),
    key_env="ANTHROPIC_API_KEY", key_targets=("ANTHROPIC_API_KEY",), packet_channel="final_message",
    roles=("se", "review"), default_review_turns=10,
)
