"""Runner presets: the SE runner contract mapped onto real agent CLIs, and their usage reports.

Each preset builds a shell command line from the config (run with the contract's variables:
``$WORKORDER_PROMPT_FILE``, ``$WORKORDER_RESULT_FILE``, ``$WORKORDER_PHASE_DIR``) and reads back what
the agent reported: token and cost usage, turns, whether it stopped at its turn limit, and its final
message (from which a fenced JSON DoD packet or PO verdict can be extracted).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

Role = Literal["se", "review"]


class Usage(BaseModel):
    """What agents reported using: tokens in and out (counts), cost (US dollars), turns (counts)."""

    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    turns: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(tokens_in=self.tokens_in + other.tokens_in, tokens_out=self.tokens_out + other.tokens_out,
                     cost_usd=round(self.cost_usd + other.cost_usd, 6), turns=self.turns + other.turns)

    @property
    def tokens(self) -> int:
        """Tokens in plus tokens out."""
        return self.tokens_in + self.tokens_out


@dataclass(frozen=True)
class AgentReport:
    """What an agent's own output says: ``usage``, its ``final_message`` (None when unknown), and
    ``turn_limit_hit`` when it stopped because of its turn limit."""

    usage: Usage
    final_message: str | None = None
    turn_limit_hit: bool = False


def _q(value: str) -> str:
    return shlex.quote(value)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None


# -- Codex CLI -----------------------------------------------------------------------------------
def codex_command(executable: str, model: str | None, extra: list[str], role: Role) -> str:
    """``codex exec`` non-interactively (https://developers.openai.com/codex/noninteractive): the
    prompt on stdin (``-``), JSONL events (``--json``) to a file, the final message to a file
    (``-o``), structured output against a JSON Schema (``--output-schema``), and the sandbox:
    ``workspace-write`` edits the work tree (the SE runner), ``read-only`` for the reviewer."""
    sandbox = "workspace-write" if role == "se" else "read-only"
    parts = [executable, "exec", "--json", "--sandbox", sandbox, "--skip-git-repo-check",
             "-o", '"$WORKORDER_PHASE_DIR/last-message.md"', "--output-schema", '"$WORKORDER_PHASE_DIR/output-schema.json"']
    if model:
        parts += ["-m", _q(model)]
    parts += [_q(a) for a in extra]
    parts += ["-", '< "$WORKORDER_PROMPT_FILE"', '> "$WORKORDER_PHASE_DIR/agent-events.jsonl"']
    return " ".join(parts)


def codex_report(phase_dir: Path) -> AgentReport:
    """Sum the ``usage`` of every ``turn.completed`` event; the final message is the ``-o`` file."""
    usage = Usage()
    for line in (_read(phase_dir / "agent-events.jsonl") or "").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("type") == "turn.completed":
            u = event.get("usage") if isinstance(event.get("usage"), dict) else {}
            usage = usage + Usage(tokens_in=int(u.get("input_tokens") or 0), tokens_out=int(u.get("output_tokens") or 0),
                                  turns=1)
    return AgentReport(usage=usage, final_message=_read(phase_dir / "last-message.md"))


# -- Claude Code ---------------------------------------------------------------------------------
def claude_command(executable: str, model: str | None, extra: list[str], role: Role, max_turns: int | None,
                   allowed_tools: list[str]) -> str:
    """Claude Code in print mode (https://docs.claude.com/en/docs/claude-code/headless): ``-p`` with
    the prompt on stdin, ``--output-format json`` (one result object) to a file, ``--max-turns``, the
    allowed tools listed (``--allowedTools``); the SE runner accepts edits in the work tree
    (``--permission-mode acceptEdits``), the reviewer only reads."""
    tools = allowed_tools if role == "se" else ["Read", "Glob", "Grep", "LS"]
    parts = [executable, "-p", "--output-format", "json", "--allowedTools", _q(",".join(tools))]
    if role == "se":
        parts += ["--permission-mode", "acceptEdits"]
    if max_turns:
        parts += ["--max-turns", str(max_turns)]
    if model:
        parts += ["--model", _q(model)]
    parts += [_q(a) for a in extra]
    parts += ['< "$WORKORDER_PROMPT_FILE"', '> "$WORKORDER_PHASE_DIR/agent-result.json"']
    return " ".join(parts)


def claude_report(phase_dir: Path) -> AgentReport:
    """Read the result object: ``usage`` tokens, ``total_cost_usd``, ``num_turns``, ``result`` (the
    final message); subtype ``error_max_turns`` means the turn limit stopped it."""
    try:
        data = json.loads(_read(phase_dir / "agent-result.json") or "")
    except ValueError:
        return AgentReport(usage=Usage())
    if isinstance(data, list):  # some versions print the whole message list; the result is last
        data = next((d for d in reversed(data) if isinstance(d, dict) and d.get("type") == "result"), {})
    if not isinstance(data, dict):
        return AgentReport(usage=Usage())
    u = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    tokens_in = sum(int(u.get(k) or 0) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
    usage = Usage(tokens_in=tokens_in, tokens_out=int(u.get("output_tokens") or 0),
                  cost_usd=float(data.get("total_cost_usd") or 0.0), turns=int(data.get("num_turns") or 0))
    result = data.get("result") if isinstance(data.get("result"), str) else None
    return AgentReport(usage=usage, final_message=result, turn_limit_hit=data.get("subtype") == "error_max_turns")


# -- aider ---------------------------------------------------------------------------------------
def aider_command(executable: str, model: str | None, extra: list[str], files: list[str]) -> str:
    """aider scripted (https://aider.chat/docs/scripting.html): the message from the prompt file
    (``--message-file``), ``--yes-always``, ``--no-auto-commits`` (the action commits), plain output,
    and the in-scope files given on the command line."""
    parts = [executable, "--message-file", '"$WORKORDER_PROMPT_FILE"', "--yes-always", "--no-auto-commits",
             "--no-stream", "--no-pretty", "--no-check-update", "--no-show-model-warnings"]
    if model:
        parts += ["--model", _q(model)]
    parts += [_q(a) for a in extra]
    if files:
        parts += ["--", *(_q(f) for f in files)]
    return " ".join(parts)


_AIDER_USAGE = re.compile(
    r"Tokens: ([\d.]+)([kM]?) sent, ([\d.]+)([kM]?) received\.(?: Cost: \$([\d.]+) message, \$([\d.]+) session\.)?"
)


def _count(number: str, suffix: str) -> int:
    return int(round(float(number) * {"": 1, "k": 1_000, "M": 1_000_000}[suffix]))


def aider_report(phase_dir: Path) -> AgentReport:
    """Sum aider's per-message ``Tokens: … sent, … received. Cost: $… message`` lines from its output."""
    output = _read(phase_dir / "output.log") or ""
    usage = Usage()
    for m in _AIDER_USAGE.finditer(output):
        usage = usage + Usage(tokens_in=_count(m.group(1), m.group(2)), tokens_out=_count(m.group(3), m.group(4)),
                              cost_usd=float(m.group(5) or 0), turns=1)
    return AgentReport(usage=usage, final_message=output or None)


# -- the presets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    """One agent CLI: its executable, install package (``npm`` or ``pip``), API key variable, and
    whether it can review (read-only) as well as develop."""

    name: str
    executable: str
    package_manager: str | None
    package: str | None
    api_key_env: str | None
    can_review: bool


PRESETS: dict[str, Preset] = {
    "codex": Preset("codex", "codex", "npm", "@openai/codex", "OPENAI_API_KEY", True),
    "claude": Preset("claude", "claude", "npm", "@anthropic-ai/claude-code", "ANTHROPIC_API_KEY", True),
    "aider": Preset("aider", "aider", "pip", "aider-chat", None, False),
}


def build_command(preset: str, role: Role, executable: str | None, model: str | None, extra: list[str],
                  max_turns: int | None = None, allowed_tools: list[str] | None = None,
                  files: list[str] | None = None) -> str:
    """The shell command line of ``preset`` in ``role``. Raises ValueError for ``command`` (whose line
    is the config's own) or an unknown preset."""
    if preset not in PRESETS:
        raise ValueError(f"no preset named {preset!r}")
    exe = _q(executable or PRESETS[preset].executable)
    if preset == "codex":
        return codex_command(exe, model, extra, role)
    if preset == "claude":
        return claude_command(exe, model, extra, role, max_turns, allowed_tools or [])
    return aider_command(exe, model, extra, files or [])


def read_report(preset: str, phase_dir: Path) -> AgentReport:
    """What the agent of ``preset`` reported in ``phase_dir`` (nothing for the ``command`` preset)."""
    readers = {"codex": codex_report, "claude": claude_report, "aider": aider_report}
    reader = readers.get(preset)
    return reader(phase_dir) if reader else AgentReport(usage=Usage())


def install_command(preset: str, version: str | None) -> list[str] | None:
    """The argv that installs the agent of ``preset`` at ``version`` (None: latest), or None when the
    preset has nothing to install."""
    spec = PRESETS.get(preset)
    if spec is None or spec.package is None:
        return None
    if spec.package_manager == "npm":
        return ["npm", "install", "-g", f"{spec.package}@{version}" if version else spec.package]
    return ["python", "-m", "pip", "install", f"{spec.package}=={version}" if version else spec.package]


_FENCED = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL)


def extract_json_object(message: str | None, required_key: str) -> str | None:
    """The JSON text of the last object in ``message`` that has ``required_key``: the whole message
    if it is such an object, else the last fenced block that is. None when there is none."""
    if not message:
        return None
    candidates = [message.strip(), *reversed(_FENCED.findall(message))]
    for text in candidates:
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if isinstance(data, dict) and required_key in data:
            return json.dumps(data)
    return None


# Strict JSON Schemas (every property required, no others) for agents that enforce structured output.
_NULLABLE_STR = {"type": ["string", "null"]}
DOD_OUTPUT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "summary", "files_changed", "commands_run", "tests_run", "assumptions", "limitations", "question"],
    "properties": {
        "status": {"type": "string", "enum": ["done", "blocked", "question"]},
        "summary": {"type": "string"},
        "files_changed": {"type": "array", "items": {"type": "string"}},
        "commands_run": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["cmd", "exit_code"],
            "properties": {"cmd": {"type": "string"}, "exit_code": {"type": "integer"}}}},
        "tests_run": {"type": "array", "items": {"type": "string"}},
        "assumptions": {"type": "array", "items": {"type": "string"}},
        "limitations": {"type": "array", "items": {"type": "string"}},
        "question": {"anyOf": [{"type": "null"}, {
            "type": "object", "additionalProperties": False,
            "required": ["question", "context", "options", "recommended"],
            "properties": {"question": {"type": "string"}, "context": _NULLABLE_STR,
                           "options": {"type": "array", "items": {"type": "string"}}, "recommended": _NULLABLE_STR}}]},
    },
}
VERDICT_OUTPUT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["verdict", "findings", "corrective_prompt"],
    "properties": {
        "verdict": {"type": "string", "enum": ["PASS", "FAIL"]},
        "findings": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["severity", "rule", "message", "path", "line", "evidence"],
            "properties": {"severity": {"type": "string", "enum": ["BLOCKER", "MAJOR", "MINOR"]},
                           "rule": {"type": "string"}, "message": {"type": "string"}, "path": _NULLABLE_STR,
                           "line": {"type": ["integer", "null"]}, "evidence": _NULLABLE_STR}}},
        "corrective_prompt": _NULLABLE_STR,
    },
}
