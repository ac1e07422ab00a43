"""The real clients of one ``workorder handle`` run: the GitHub forges, the loop's dependencies.

Built from the settings and the trusted config only; the SE runner's and reviewer's environments are
scrubbed copies of the settings' environment with just the names the config allows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from .settings import HandleSettings

if TYPE_CHECKING:
    from ..contracts.defaultbranch import Trusted
    from ..handlers.context import HandlerContext
    from ..loop.deps import LoopDeps


def handler_context(settings: HandleSettings, trusted: Trusted, secrets: tuple[str, ...], out: TextIO) -> HandlerContext:
    """The handler context of a real run: the GitHub forge, and the loop's dependencies on demand
    (None when no runner is configured)."""
    from ..github.forge import GitHubForge
    from ..handlers.context import HandlerContext
    from ..gates.secret_scan import MaskingForge

    forge = MaskingForge(GitHubForge(settings.token, trusted.repository, settings.api_url,
                                     **settings.throttle_args()), secrets)  # every text posted is masked
    cfg = trusted.config
    has_runner = bool(settings.runner_command or cfg.runner.command) or cfg.runner.preset != "command"

    sandboxes: list = []  # the credential boundary (workorder.shell.isolation), made once when a loop first needs it

    def deps() -> LoopDeps:
        if not sandboxes:
            from ..shell.isolation import sandbox_for_handle

            sandboxes.append(sandbox_for_handle(settings, cfg))
        return loop_deps(settings, trusted, secrets, out, forge, sandboxes[0])

    return HandlerContext(templates=trusted.templates, config=cfg, bot_login=settings.bot_login, forge=forge,
                          config_problems=trusted.problems, loop_deps=deps if has_runner else None,
                          target_issue=settings.target_issue)


def loop_deps(settings: HandleSettings, trusted: Trusted, secrets: tuple[str, ...], out: TextIO, forge,
              sandbox=None) -> LoopDeps:
    """The loop's dependencies: forges, git, the runner spec with its scrubbed environment (the agent's
    key exported under the names its CLI reads), verify and reviewer environments, the journal."""
    from ..loop.audit import Journal
    from .console import ConsoleReporter
    from ..github.forge import GitHubForge
    from ..loop.deps import LoopDeps
    from ..presets import agent_environment, agent_key_names
    from ..agents.runner import RunnerSpec, scrub_environment

    cfg, base = trusted.config, settings.environ
    runner_env = scrub_environment(base, agent_key_names(cfg.runner.preset, cfg.runner.api_key_env, cfg.runner.env),
                                   cfg.runner.pass_github_token)
    runner_env.update(agent_environment(cfg.runner.preset, cfg.runner.api_key_env, base))
    if cfg.runner.pass_github_token and settings.token:
        runner_env["GITHUB_TOKEN"] = settings.token
    reviewer_env = scrub_environment(base, agent_key_names(cfg.reviewer.preset, cfg.reviewer.api_key_env,
                                                           cfg.reviewer.env))
    reviewer_env.update(agent_environment(cfg.reviewer.preset, cfg.reviewer.api_key_env, base))
    from ..gates.secret_scan import MaskingForge

    review_forge = MaskingForge(GitHubForge(settings.reviewer_token, trusted.repository, settings.api_url,
                                            **settings.throttle_args()), secrets) if settings.reviewer_token else None
    runs = settings.state_dir / "runs"
    return LoopDeps(
        forge=forge, git=trusted.git, config=cfg, templates=trusted.templates,
        runner=RunnerSpec(command=settings.runner_command or cfg.runner.command or "", timeout_s=cfg.runner.timeout,
                          env=runner_env),
        verify_env=scrub_environment(base), journal=Journal(runs, reporter=_phase_groups(settings, ConsoleReporter(
            trusted.templates, out, runs, show_verdicts=False), out, trusted.templates)),
        worktrees=sandbox.worktrees if sandbox else settings.state_dir / "worktrees", sandbox=sandbox,
        default_branch=trusted.default_branch, base_ref=trusted.base_ref,
        review_forge=review_forge, run_url=settings.run_url(trusted.repository), secrets=secrets,
        rules=trusted.rules, rules_path=trusted.rules_path, reviewer_env=reviewer_env,
    )


def _phase_groups(settings: HandleSettings, reporter: object, out: TextIO, templates: object) -> object:
    """In Actions, the reporter's lines fold per phase (``::group::``, workorder.cli.annotations)."""
    from .annotations import PhaseGroups

    return PhaseGroups(reporter, out, templates) if settings.in_actions else reporter
