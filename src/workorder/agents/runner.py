"""The SE runner contract: start the coding agent, collect its DoD packet.

Contract (docs/contracts.md): the runner is a shell command run in the work tree with a timeout and
a scrubbed environment. It reads the prompt from ``$WORKORDER_PROMPT_FILE`` and writes its DoD packet
(JSON) to ``$WORKORDER_RESULT_FILE``. A non-zero exit, a timeout, or a missing or invalid packet is a
phase failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any, Literal

from ..contracts.packet import DoDPacket, parse_dod_packet
from ..templates import Templates, active
from ..shell.isolation import Sandbox
from ..presets import DOD_OUTPUT_SCHEMA, AgentPreset, AgentReport, Usage, extract_json_object, read_report
from ..inputs.problems import InvalidInput
from ..shell.proc import run_shell

# Variables the runner and verify commands may see by default. Everything else (tokens, secrets,
# INPUT_*, ACTIONS_* runtime tokens) is dropped unless the config names it.
SAFE_ENV_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR", "TEMP", "TMP",
        "VIRTUAL_ENV", "PYENV_ROOT", "PYENV_VERSION", "CI", "GITHUB_ACTIONS", "GITHUB_REPOSITORY",
        "GITHUB_SERVER_URL", "GITHUB_RUN_ID", "RUNNER_OS", "RUNNER_ARCH", "RUNNER_TEMP", "RUNNER_TOOL_CACHE",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "HTTP_PROXY", "HTTPS_PROXY",
        "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "JAVA_HOME", "GOPATH", "GOROOT", "CARGO_HOME",
        "RUSTUP_HOME", "DOTNET_ROOT", "NVM_DIR",
    }
)
SAFE_ENV_PREFIXES = ("LC_", "XDG_")
TOKEN_NAMES = ("GITHUB_TOKEN", "GH_TOKEN")


def scrub_environment(
    base: dict[str, str], extra_names: list[str] | tuple[str, ...] = (), pass_github_token: bool = False
) -> dict[str, str]:
    """The environment for the agent and the verify commands.

    Takes the action's own environment ``base``; keeps only the safe names above, the names in
    ``extra_names`` (config ``runner.env``), and ``GITHUB_TOKEN``/``GH_TOKEN`` only when
    ``pass_github_token``. Returns a new dict.
    """
    allowed = set(extra_names)
    if pass_github_token:
        allowed.update(TOKEN_NAMES)
    return {
        k: v
        for k, v in base.items()
        if (k in SAFE_ENV_NAMES or k.startswith(SAFE_ENV_PREFIXES) or k in allowed)
        and (pass_github_token or k not in TOKEN_NAMES)
    }


@dataclass(frozen=True)
class RunnerSpec:
    """How to start the SE runner: the shell ``command``, ``timeout_s`` seconds, its environment ``env``."""

    command: str
    timeout_s: float
    env: dict[str, str] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class RunnerOutcome:
    """What one SE runner phase produced.

    failure is None on success, else one of crash (non-zero exit), timeout, no_packet, bad_packet,
    budget (the agent's turn limit), agent_error (the agent exited 0 but reported an error); detail
    explains it; output_tail is the end of the runner's raw output; packet is set on success;
    agent_error is the agent's own error text (redacted by the caller before it is shown).
    """

    failure: Literal["crash", "timeout", "no_packet", "bad_packet", "budget", "agent_error"] | None
    detail: str
    exit_code: int | None
    duration_s: float
    output_tail: str
    packet: DoDPacket | Any | None = None  # a PlanPacket in the plan phase
    usage: Usage = field(default_factory=Usage)
    final_message: str | None = None
    agent_error: str | None = None


_TOKENISH = re.compile(r"\b(gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,})")


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Replace each of ``secrets`` and anything shaped like a GitHub token in ``text`` with ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _TOKENISH.sub("***", text)


def run_se_runner(spec: RunnerSpec, worktree: Path, prompt: str, phase_dir: Path, extra_env: dict[str, str],
                  preset: AgentPreset | None = None, sandbox: Sandbox | None = None,
                  parse: Callable[[str], Any] = parse_dod_packet) -> RunnerOutcome:
    """Run the SE runner once in ``worktree``.

    Writes ``prompt.md`` into ``phase_dir`` (outside the work tree), points ``$WORKORDER_PROMPT_FILE``,
    ``$WORKORDER_RESULT_FILE`` and ``$WORKORDER_PHASE_DIR`` at it, and records the raw output in
    ``phase_dir/output.log``. ``extra_env`` adds WORKORDER_* facts (issue, cycle, phase). For an agent
    ``preset`` (None: the ``command`` preset) it also reads the agent's own report: usage, its error
    text, its turn limit (``budget``), and the DoD packet from the agent's final message when the agent
    did not write the result file. With a ``sandbox`` the runner runs as its agent user (phase_dir mirrored
    for it). ``parse`` reads the result file (default the DoD packet; the plan phase passes
    :func:`workorder.contracts.plan_packet.parse_plan_packet`) and raises InvalidInput for a bad one.
    Returns a :class:`RunnerOutcome`; never raises for the runner's failures.
    """
    phase_dir.mkdir(parents=True, exist_ok=True)
    prompt_file = phase_dir / "prompt.md"
    result_file = phase_dir / "dod.json"
    prompt_file.write_text(prompt, encoding="utf-8")
    result_file.unlink(missing_ok=True)
    (phase_dir / "output-schema.json").write_text(json.dumps(DOD_OUTPUT_SCHEMA), encoding="utf-8")
    env = {**spec.env, **extra_env}
    env["WORKORDER_PROMPT_FILE"] = str(prompt_file)
    env["WORKORDER_RESULT_FILE"] = str(result_file)
    env["WORKORDER_PHASE_DIR"] = str(phase_dir)
    result = run_shell(spec.command, worktree, env, spec.timeout_s, phase_dir / "output.log", sandbox=sandbox,
                       exchange=phase_dir, workshop=True, role="agent")
    report = read_report(preset.name, phase_dir) if preset else AgentReport(usage=Usage())
    common = dict(exit_code=result.exit_code, duration_s=result.duration_s, output_tail=result.output_tail,
                  usage=report.usage, final_message=report.final_message, agent_error=report.error)
    failure = _failure(result, report, spec.timeout_s)
    if failure:
        return RunnerOutcome(failure=failure[0], detail=failure[1], **common)
    if not result_file.exists() and preset is not None:
        extracted = extract_json_object(report.final_message, "status")
        if extracted:
            result_file.write_text(extracted, encoding="utf-8")
    if not result_file.exists():
        return RunnerOutcome(failure="no_packet", detail=failure_detail("no_packet"), **common)
    try:
        packet = parse(result_file.read_text(encoding="utf-8", errors="replace"))
    except InvalidInput as exc:
        detail = failure_detail("bad_packet", problems=[f"{p.field} {p.message}" for p in exc.problems])
        return RunnerOutcome(failure="bad_packet", detail=detail, **common)
    return RunnerOutcome(failure=None, detail="ok", packet=packet, **common)


def _failure(result, report: AgentReport, timeout_s: float) -> tuple[str, str] | None:
    """(kind, detail) when the run failed before any packet is looked at, else None. The agent's own
    error text, when it reported one, is part of the detail."""
    if report.turn_limit_hit:
        kind = "budget"
    elif result.timed_out:
        kind = "timeout"
    elif result.exit_code != 0:
        kind = "crash"
    elif report.error:
        kind = "agent_error"
    else:
        return None
    return kind, failure_detail(kind, timeout_s=timeout_s, exit_code=result.exit_code, said=report.error or "")


def _templates() -> Templates:
    """The run's templates, with the repository's overrides (:func:`workorder.templates.active`)."""
    return active()


def failure_detail(kind: str, **facts: object) -> str:
    """The sentence for a runner failure ``kind`` (budget, timeout, crash, agent_error, no_packet,
    bad_packet) from templates/runner_failure.txt.j2, with ``facts`` (``timeout_s`` seconds,
    ``exit_code``, ``said``: the agent's own error text, ``problems``: list of texts)."""
    values = {"timeout_s": 0.0, "exit_code": 0, "said": "", "problems": [], **facts}
    return _templates().render("runner_failure.txt.j2", kind=kind, **values).strip()
