"""What every agent preset is made of: usage, the agent's own report, the preset object itself.

A preset maps the SE runner contract (``$WORKORDER_PROMPT_FILE``, ``$WORKORDER_RESULT_FILE``,
``$WORKORDER_PHASE_DIR``) onto one real agent CLI. It is one object: executable, install spec, the
variables its key is read from, the command line per role, the reader of its own report, the channel
through which it can hand back a DoD packet, and what it needs (the in-scope file list) or leaves
behind (its own files, kept out of the commit).
"""

from __future__ import annotations

import shlex
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

Role = Literal["se", "review"]
NOT_YOUR_JOB_FILE = "not-your-job.gitignore"
"""In the phase folder: the gitignore-style globs the agent must not change (the work order's
out_of_scope and the protected paths), written by the loop for agents that can be told to ignore files."""
PacketChannel = Literal["file", "final_message", "structured_output"]


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
    """What an agent's own output says: ``usage``, its ``final_message`` (None when unknown),
    ``turn_limit_hit`` when it stopped because of its turn limit, and ``error``: the agent's own words
    for a failure (an API error, "401 Unauthorized", "model not found"), None when it reported none."""

    usage: Usage
    final_message: str | None = None
    turn_limit_hit: bool = False
    error: str | None = None


@dataclass(frozen=True)
class AgentSettings:
    """The config's choices for one agent call: ``executable`` (None: the preset's own), ``model``,
    ``extra_args``, ``max_turns`` (None: no limit), ``allowed_tools`` (claude), ``files`` (the in-scope
    files, for presets that need them)."""

    executable: str | None = None
    model: str | None = None
    extra_args: tuple[str, ...] = ()
    max_turns: int | None = None
    allowed_tools: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstallSpec:
    """How the action installs the agent: ``manager`` npm or pip, the ``package`` name, and the
    ``version`` pinned by default (the one the contract tests in tests/agents ran)."""

    manager: Literal["npm", "pip"]
    package: str
    version: str


@dataclass(frozen=True)
class AgentPreset(ABC):
    """One agent CLI. Subclasses (one module each) give :meth:`command` and :meth:`report`.

    ``key_env``: the variable the user's API key is read from by default (config ``api_key_env``
    overrides it); ``key_targets``: the variable names the CLI itself reads its key from (the key is
    exported under each). ``packet_channel``: how the agent can hand back its DoD packet (``file``: it
    writes ``$WORKORDER_RESULT_FILE``; ``final_message``: a fenced JSON block ending its answer;
    ``structured_output``: the CLI enforces a JSON Schema on the final message). ``needs_files``: the
    command line lists the in-scope files. ``leaves_behind``: gitignore-style patterns of the agent's
    own files, never committed. ``roles``: se, and review when it can review read-only.
    ``needs_user_namespaces``: the CLI sandboxes the agent's commands with unprivileged user
    namespaces (bubblewrap), which GitHub-hosted Ubuntu 24.04+ images gate behind a sysctl.
    """

    name: str
    executable: str
    install: InstallSpec
    key_env: str | None
    key_targets: tuple[str, ...] = ()
    packet_channel: PacketChannel = "final_message"
    needs_files: bool = False
    leaves_behind: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ("se",)
    default_review_turns: int | None = None
    needs_user_namespaces: bool = False
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    @abstractmethod
    def command(self, role: Role, settings: AgentSettings) -> str:
        """The shell command line for ``role`` with the config's ``settings``."""

    def report(self, phase_dir: Path) -> AgentReport:
        """What the agent reported in ``phase_dir`` (its event, result or log files)."""
        return AgentReport(usage=Usage())

    def exe(self, settings: AgentSettings) -> str:
        """The quoted executable: the config's override, else the preset's own."""
        return q(settings.executable or self.executable)


def q(value: str) -> str:
    """``value`` quoted for /bin/sh."""
    return shlex.quote(value)


def read_text(path: Path) -> str | None:
    """The text of ``path`` (decoding errors replaced), or None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return None
