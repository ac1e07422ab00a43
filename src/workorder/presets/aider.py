"""aider (``aider-chat`` on PyPI), scripted; flags checked against ``aider --help`` of 0.86.2.

Docs: https://aider.chat/docs/scripting.html and /config/options.html. One message from the prompt
file (``--message-file``), ``--yes-always``, and the in-scope files on the command line. What keeps
aider inside the SE runner contract:

- ``--edit-format diff``: SEARCH/REPLACE blocks. aider's default for a model it has no settings for is
  the whole-file format, which writes any fenced block after a line of text to a file named after
  that line, so the ```json DoD packet would become a file. In the diff format a fenced block without
  SEARCH/REPLACE markers is just text.
- nothing of aider's own in the work tree's diff: ``--no-gitignore`` (it would add ``.aider*`` to the
  repo's ``.gitignore``), ``--no-auto-commits``/``--no-dirty-commits`` (the action commits), its chat,
  input and LLM histories and its analytics log in ``$WORKORDER_PHASE_DIR``; the repo map's
  ``.aider.tags.cache.v4/`` (not movable) is in :attr:`AgentPreset.leaves_behind`, never committed.
- no questions answered by ``--yes-always`` that a person should answer: ``--no-analytics`` (else a
  fresh home is asked, and the "yes" shares analytics), ``--no-detect-urls`` and
  ``--disable-playwright`` (URLs in the work order are not fetched), ``--no-suggest-shell-commands``,
  ``--no-check-update``, ``--no-show-release-notes``.
- ``--no-stream``: aider asks for no usage when streaming and counts tokens itself; without it the
  usage is what the API billed.

aider has no turn limit of its own beyond its reflections (it re-sends failed edits to the model at
most 3 times, then says "Only 3 reflections allowed, stopping."): that is reported as the turn limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .base import NOT_YOUR_JOB_FILE, AgentPreset, AgentReport, AgentSettings, InstallSpec, Role, Usage, q, read_text

ANALYTICS_LOG = "aider.analytics.jsonl"
LLM_HISTORY = "aider.llm.history"
CHAT_HISTORY = "aider.chat.history.md"
INPUT_HISTORY = "aider.input.history"

_FIXED_FLAGS = (
    "--edit-format", "diff", "--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-gitignore",
    "--no-stream", "--no-pretty", "--no-fancy-input", "--no-check-update", "--no-show-release-notes",
    "--no-show-model-warnings", "--no-analytics", "--no-detect-urls", "--disable-playwright",
    "--no-suggest-shell-commands",
)
_PHASE_FILES = (("--analytics-log", ANALYTICS_LOG), ("--chat-history-file", CHAT_HISTORY),
                ("--input-history-file", INPUT_HISTORY), ("--llm-history-file", LLM_HISTORY),
                ("--aiderignore", NOT_YOUR_JOB_FILE))  # out-of-scope and protected files: never added to the chat
_USAGE = re.compile(
    r"Tokens: ([\d.]+)([kM]?) sent, ([\d.]+)([kM]?) received\.(?: Cost: \$([\d.]+) message, \$([\d.]+) session\.)?"
)
# aider prints a model API failure as litellm's exception, "litellm.<Name>Error: <text>", then maybe a
# hint on the next line (aider/exceptions.py); a long line is wrapped at the terminal width.
_API_ERROR = re.compile(r"^litellm\.\w+Error: .*?(?=\n[ \t]*\n|\nRetrying in |\Z)", re.MULTILINE | re.DOTALL)
_RESPONSE_HEAD = re.compile(r"^LLM RESPONSE \d{4}-\d\d-\d\dT[\d:]+$")
_REQUEST_HEAD = re.compile(r"^TO LLM \d{4}-\d\d-\d\dT[\d:]+$")
TURN_LIMIT_TEXT = "reflections allowed, stopping."


def _count(number: str, suffix: str) -> int:
    return int(round(float(number) * {"": 1, "k": 1_000, "M": 1_000_000}[suffix]))


@dataclass(frozen=True)
class AiderPreset(AgentPreset):
    """The ``aider`` preset (SE runner only: aider has no read-only mode for the reviewer)."""

    def command(self, role: Role, settings: AgentSettings) -> str:
        """``aider --model M --message-file "$WORKORDER_PROMPT_FILE" <fixed flags> <phase files>
        <extra_args> -- <in-scope files>``; ``extra_args`` come after the fixed flags, so they win
        (e.g. ``--edit-format udiff``)."""
        parts = [self.exe(settings)]
        if settings.model:
            parts += ["--model", q(settings.model)]
        parts += ["--message-file", '"$WORKORDER_PROMPT_FILE"', *_FIXED_FLAGS]
        for flag, name in _PHASE_FILES:
            parts += [flag, f'"$WORKORDER_PHASE_DIR"/{name}']
        parts += [q(a) for a in settings.extra_args]
        if settings.files:
            parts += ["--", *(q(f) for f in settings.files)]
        return " ".join(parts)

    def report(self, phase_dir: Path) -> AgentReport:
        """What aider reported in ``phase_dir``: usage from its analytics log's ``message_send``
        events (exact tokens and cost; else the rounded ``Tokens: … sent`` lines of ``output.log``),
        the final message (all model responses of its LLM history, in order), the turn limit
        (its reflection cap), and ``error``: the model API error aider printed after its last
        answered request (e.g. a 401 or an unknown model, after which aider exits 0)."""
        output = read_text(phase_dir / "output.log") or ""
        usage = _analytics_usage(read_text(phase_dir / ANALYTICS_LOG)) or _printed_usage(output)
        return AgentReport(usage=usage, final_message=_responses(read_text(phase_dir / LLM_HISTORY)) or output or None,
                           turn_limit_hit=TURN_LIMIT_TEXT in output, error=_api_error(output))


def _analytics_usage(log: str | None) -> Usage | None:
    """The sum of the ``message_send`` events of aider's analytics log (one JSON object a line), or
    None when there are none."""
    usage = None
    for line in (log or "").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict) or event.get("event") != "message_send":
            continue
        props = event.get("properties") or {}
        usage = (usage or Usage()) + Usage(tokens_in=int(props.get("prompt_tokens") or 0),
                                           tokens_out=int(props.get("completion_tokens") or 0),
                                           cost_usd=float(props.get("cost") or 0), turns=1)
    return usage


def _printed_usage(output: str) -> Usage:
    """The sum of aider's printed ``Tokens: 1.2k sent, 300 received. Cost: $0.01 message`` lines."""
    usage = Usage()
    for m in _USAGE.finditer(output):
        usage = usage + Usage(tokens_in=_count(m.group(1), m.group(2)), tokens_out=_count(m.group(3), m.group(4)),
                              cost_usd=float(m.group(5) or 0), turns=1)
    return usage


def _responses(history: str | None) -> str | None:
    """The model's answers in aider's LLM history (``LLM RESPONSE <time>`` sections whose lines are
    each prefixed ``ASSISTANT ``), joined by blank lines; None when there are none."""
    answers: list[list[str]] = []
    current: list[str] | None = None
    for line in (history or "").splitlines():
        if _RESPONSE_HEAD.match(line):
            current = []
            answers.append(current)
        elif _REQUEST_HEAD.match(line):
            current = None
        elif current is not None and line.startswith("ASSISTANT"):
            current.append(line[len("ASSISTANT "):])
    return "\n\n".join("\n".join(a) for a in answers) or None


def _api_error(output: str) -> str | None:
    """The last model API error aider printed, when no answered request (a ``Tokens:`` line) came
    after it; its wrapped lines joined. None otherwise."""
    errors = list(_API_ERROR.finditer(output))
    if not errors:
        return None
    last = errors[-1]
    answered = [m.start() for m in _USAGE.finditer(output)]
    if answered and answered[-1] > last.start():
        return None
    return " ".join(last.group(0).split())[:1000]


AIDER = AiderPreset(
    name="aider", executable="aider", install=InstallSpec("pip", "aider-chat", "0.86.2"),
    key_env=None, packet_channel="final_message", needs_files=True,
    leaves_behind=(".aider*",),
)
