"""``workorder handle``: settings → trusted config → clients → route → handler → outputs, in one line.

The last line of defence lives here too: whatever happens after the settings are read, the run ends
with a clear message in the outputs (decision ``error``), never a traceback.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from ..contracts.config import RepoConfig
from ..contracts.defaultbranch import Trusted
from ..shell.gitops import Git, basic_auth_header
from ..handlers.outcome import Outcome
from ..agents.runner import redact
from ..presets import agent_key_names
from .settings import HandleSettings
from ..templates import Templates


class UsageError(Exception):
    """The run cannot start: no event, no token, not a checkout. The message says what to set."""


@lru_cache(maxsize=1)
def _templates() -> Templates:
    return Templates()


def cli_message(kind: str, **facts: object) -> str:
    """The command line's message ``kind``: ``templates/cli_message.txt.j2`` rendered whole with ``facts``,
    without its line end. Raises ``jinja2.UndefinedError`` for an unknown kind or a missing fact (a bug)."""
    return _templates().render("cli_message.txt.j2", kind=kind, **facts).removesuffix("\n")


def read_payload(settings: HandleSettings) -> Any:
    """The event payload (parsed JSON). Raises UsageError when there is no event or it is unreadable."""
    if not settings.event_name or not settings.event_path:
        raise UsageError(cli_message("handle_no_event"))
    return read_event_file(settings.event_path)


def read_event_file(path: str) -> Any:
    """The parsed JSON of the event payload file at ``path``, held to workorder.inputs.bounded's limits
    (size, nesting, integer digits). Raises UsageError saying what is wrong with it."""
    from ..inputs.bounded import load_json
    from ..inputs.problems import InvalidInput

    try:
        return load_json(Path(path).read_bytes(), "event payload")
    except OSError as exc:
        raise UsageError(cli_message("event_unreadable", path=path, error=exc.strerror or exc)) from None
    except InvalidInput as exc:
        raise UsageError(cli_message("event_invalid", path=path, problems=exc.problems)) from None


def read_trusted(settings: HandleSettings, payload: Any) -> Trusted:
    """Config, templates and rules from the default branch of the checkout (defaults outside one)."""
    from ..contracts.defaultbranch import read_default_branch

    repo_info = payload.get("repository") if isinstance(payload, dict) else None
    repo_info = repo_info if isinstance(repo_info, dict) else {}
    default_branch = str(repo_info.get("default_branch") or "main")
    repository = settings.repository or str(repo_info.get("full_name") or "")
    token = settings.token
    git = Git(repo=settings.workspace, env=dict(settings.environ),
              auth_header=basic_auth_header(token) if token else None, auth_url=f"{settings.server_url}/")
    if git.rev("HEAD") is None:
        config = apply_action_inputs(RepoConfig(), settings.runner_preset, settings.agent_version)
        return Trusted(git, False, config, Templates(), [], "HEAD", default_branch, repository)
    files = read_default_branch(git, default_branch)
    config = apply_action_inputs(files.config, settings.runner_preset, settings.agent_version)
    return Trusted(git, True, config, files.templates, files.problems, files.ref, default_branch, repository,
                   files.rules, files.rules_path)


def apply_action_inputs(config: RepoConfig, preset: str, version: str) -> RepoConfig:
    """The repo config with the action inputs ``runner`` (a preset name) and ``agent-version``
    applied. A bad input value leaves the config as it is (the install step and the run report it)."""
    from ..presets import AGENT_NAMES

    updates: dict[str, str] = {}
    if preset in ("command", *AGENT_NAMES):
        updates["preset"] = preset
    if version:
        updates["version"] = version
    if not updates:
        return config
    return config.model_copy(update={"runner": config.runner.model_copy(update=updates)})


def secrets_of(settings: HandleSettings, config: RepoConfig) -> tuple[str, ...]:
    """Every secret value this run holds (tokens, agent keys): masked in the log, redacted from anything posted."""
    names = {*agent_key_names(config.runner.preset, config.runner.api_key_env, config.runner.env),
             *agent_key_names(config.reviewer.preset, config.reviewer.api_key_env, config.reviewer.env)}
    values = (settings.token, settings.reviewer_token, *(settings.environ.get(k, "") for k in sorted(names)))
    return tuple(v for v in values if len(v) >= 4)


def run_handle(settings: HandleSettings, dry_run: bool, out: TextIO) -> int:
    """Handle one event; returns the exit code (0 done, 1 error, 2 usage). Raises UsageError."""
    from ..handlers.context import HandlerContext
    from ..handlers.router import dispatch

    payload = read_payload(settings)
    trusted = read_trusted(settings, payload)
    secrets = secrets_of(settings, trusted.config)
    if settings.in_actions:  # each value and its encoded forms (base64, URL, hex): the job log masks them all
        from ..gates.secret_scan import encoded_forms

        out.write("".join(f"::add-mask::{form}\n" for s in secrets for form in encoded_forms(s)))
    if dry_run:
        ctx = HandlerContext(templates=trusted.templates, config=trusted.config, bot_login=settings.bot_login,
                             config_problems=trusted.problems, dry_run=True)
        out.write(dispatch(settings.event_name or "", payload, ctx).model_dump_json(indent=2, exclude_none=True) + "\n")
        return 0
    if not settings.token:
        raise UsageError(cli_message("no_token"))
    if not trusted.repository or not trusted.is_repo:
        raise UsageError(cli_message("no_checkout"))
    from .clients import handler_context

    ctx = handler_context(settings, trusted, secrets, out)
    try:
        outcome = dispatch(settings.event_name or "", payload, ctx)
    except Exception as exc:  # the last line of defence: a clear message, never a traceback
        if settings.debug:
            raise
        outcome = error_outcome(settings, exc, secrets)
    if (settings.state_dir / "runs").is_dir():  # the run records the action uploads: masked first
        from ..gates.secret_scan import mask_tree

        mask_tree(settings.state_dir / "runs", secrets)
    return finish(settings, trusted.templates, outcome, secrets, out)


def error_outcome(settings: HandleSettings, exc: BaseException, secrets: tuple[str, ...]) -> Outcome:
    """The outcome of a run that failed where nothing else caught it: decision ``error``, redacted."""
    return Outcome(event=settings.event_name or "", decision="error", reason_code="error",
                   reason=redact(cli_message("crashed", error_type=type(exc).__name__, error=exc), secrets))


def finish(settings: HandleSettings, templates: Templates, outcome: Outcome, secrets: tuple[str, ...],
           out: TextIO) -> int:
    """Print the outcome (redacted), write the step summary and the step outputs; the exit code."""
    out.write(redact(outcome.model_dump_json(indent=2, exclude_none=True, exclude={"state"}), secrets) + "\n")
    if settings.in_actions:  # ::error/::warning annotations on stderr (the runner reads both streams)
        import sys

        from .annotations import workflow_commands

        sys.stderr.write(redact(workflow_commands(outcome, templates), secrets))
    _append(settings.step_summary, templates.render(
        "step_summary.md.j2", decision=outcome.decision, reason=outcome.reason, state=outcome.state))
    state = outcome.state
    outputs = {
        "decision": outcome.decision,
        "verdict": (state.verdict if state else None) or "",
        "state": state.state.value if state else "",
        "pr-number": str(state.pr_number) if state and state.pr_number else "",
        "runs-dir": str(settings.state_dir / "runs"),
        "matrix": json.dumps(outcome.matrix or []),
    }
    from .annotations import format_outputs

    _append(settings.output_file, format_outputs(outputs))
    failed = outcome.decision == "error" or (state is not None and state.failure is not None
                                             and state.failure.kind == "error")
    return 1 if failed else 0


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
