"""Runner presets: the SE runner contract mapped onto real agent CLIs, one object (and module) each.

Adding a preset (say gemini-cli) means one module like :mod:`workorder.presets.codex` and one line in
:data:`PRESETS`; the config's choices, the CLI's checks and the install command come from this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .aider import AIDER
from .base import AgentPreset, AgentReport, AgentSettings, InstallSpec, PacketChannel, Role, Usage
from .claude import CLAUDE
from .codex import CODEX
from .jsonblock import extract_json_object
from .schemas import DOD_OUTPUT_SCHEMA, VERDICT_OUTPUT_SCHEMA

PRESETS: dict[str, AgentPreset] = {p.name: p for p in (CODEX, CLAUDE, AIDER)}
AGENT_NAMES: tuple[str, ...] = tuple(PRESETS)
REVIEWER_NAMES: tuple[str, ...] = tuple(name for name, p in PRESETS.items() if "review" in p.roles)

__all__ = [
    "AGENT_NAMES", "AgentPreset", "AgentReport", "AgentSettings", "DOD_OUTPUT_SCHEMA", "InstallSpec", "PRESETS",
    "PacketChannel", "REVIEWER_NAMES", "Role", "Usage", "VERDICT_OUTPUT_SCHEMA", "agent_environment", "agent_key_names",
    "extract_json_object", "install_command", "key_source", "packet_channel", "preset_of", "read_report",
]


def preset_of(name: str) -> AgentPreset | None:
    """The agent preset called ``name``, or None (``command``, ``none``, or unknown)."""
    return PRESETS.get(name)


def read_report(name: str, phase_dir: Path) -> AgentReport:
    """What the agent of preset ``name`` reported in ``phase_dir``; an empty report for the ``command``
    preset. Never raises for what the agent wrote: a report that cannot be read (hostile or broken
    output: wrong types, nesting past Python's limits) is an empty report naming the problem."""
    spec = PRESETS.get(name)
    if spec is None:
        return AgentReport(usage=Usage())
    try:
        return spec.report(phase_dir)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OSError) as exc:
        return AgentReport(usage=Usage(), error=f"the {name} report could not be read ({type(exc).__name__})")


def packet_channel(name: str) -> PacketChannel:
    """How the runner or reviewer of preset ``name`` hands back its JSON: the agent preset's channel,
    ``file`` (``$WORKORDER_RESULT_FILE``) for the ``command`` preset."""
    spec = PRESETS.get(name)
    return spec.packet_channel if spec else "file"


def key_source(preset: str, api_key_env: str | None) -> str | None:
    """The variable the agent's key is read from: the config's ``api_key_env``, else the preset's own."""
    spec = PRESETS.get(preset)
    return api_key_env or (spec.key_env if spec else None)


def agent_environment(preset: str, api_key_env: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The key variables the agent CLI of ``preset`` reads, filled from the key's source variable in
    ``environ`` (e.g. codex 0.169 reads ``CODEX_API_KEY`` for ``codex exec``; the user's secret is
    ``OPENAI_API_KEY``). Returns {} when there is no key or no preset."""
    spec = PRESETS.get(preset)
    source = key_source(preset, api_key_env)
    value = environ.get(source) if source else None
    if not spec or not value:
        return {}
    return {name: value for name in (*spec.key_targets, source)}


def install_command(preset: str, version: str | None, python: str = "python") -> list[str] | None:
    """The argv that installs the agent of ``preset`` at ``version`` (None: the preset's pinned
    version), or None when the preset has nothing to install."""
    spec = PRESETS.get(preset)
    if spec is None:
        return None
    pin = version or spec.install.version
    if spec.install.manager == "npm":
        return ["npm", "install", "-g", f"{spec.install.package}@{pin}"]
    return [python, "-m", "pip", "install", f"{spec.install.package}=={pin}"]


def agent_key_names(preset: str, api_key_env: str | None, extra: list[str]) -> list[str]:
    """Environment variable names an agent gets: its API key variable (configured, else the preset's
    default) and the extra names configured. Nothing else of the action's environment."""
    key = key_source(preset, api_key_env)
    return [*extra, *([key] if key else [])]
