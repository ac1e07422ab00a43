"""Repo config ``.github/workorder.yml``: model, defaults and loading.

Read from the default branch only, never from what the agent changed. Every key is optional: with no
file at all the defaults below apply. Unknown keys and bad values are errors that name the key.
"""

from __future__ import annotations

from typing import Literal

import yaml

from ..inputs.bounded import InputLimitExceeded, yaml_error_message
from ..inputs.yamlload import safe_load
from .checks_config import AcceptanceConfig, DiffCoverageConfig, FailToPassConfig
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..inputs.globs import check_glob
from ..presets import AGENT_NAMES, PRESETS, REVIEWER_NAMES
from ..inputs.problems import InvalidInput, Problem, problems_from_validation_error
from .network_config import NetworkConfig

CONFIG_PATH = ".github/workorder.yml"

Permission = Literal["read", "triage", "write", "maintain", "admin"]

DEFAULT_DEPENDENCY_MANIFESTS = [
    "pyproject.toml", "setup.py", "setup.cfg", "requirements*.txt", "requirements/*.txt", "Pipfile",
    "Pipfile.lock", "poetry.lock", "uv.lock", "package.json", "package-lock.json", "yarn.lock",
    "pnpm-lock.yaml", "bun.lockb", "go.mod", "go.sum", "Cargo.toml", "Cargo.lock", "Gemfile", "Gemfile.lock",
    "composer.json", "composer.lock", "pom.xml", "build.gradle", "build.gradle.kts", "*.csproj",
    "packages.lock.json", "mix.exs", "mix.lock", "Package.swift", "Package.resolved",
]

DEFAULT_TEST_PATTERNS = [
    "tests/**", "test/**", "spec/**", "__tests__/**", "test_*.py", "*_test.py", "*_test.go",
    "*.test.*", "*.spec.*", "*Test.java", "*Tests.cs",
]


class PlaceholderPattern(BaseModel):
    """One placeholder rule: a Python regular expression searched in each added line of the diff."""

    model_config = ConfigDict(extra="forbid")

    regex: str = Field(description="a Python regular expression, e.g. '\\bTODO\\b'")
    paths: list[str] = Field(default_factory=lambda: ["*"], description="globs of files the rule applies to")
    name: str = Field(description="short name shown in the finding, e.g. TODO")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"'{value}' is not a valid regular expression ({exc})") from None
        return value

    @field_validator("paths")
    @classmethod
    def _globs(cls, value: list[str]) -> list[str]:
        return [check_glob(p) for p in value]


DEFAULT_PLACEHOLDERS = [
    PlaceholderPattern(name="TODO", regex=r"\bTODO\b"),
    PlaceholderPattern(name="FIXME", regex=r"\bFIXME\b"),
    PlaceholderPattern(name="XXX", regex=r"\bXXX\b"),
    PlaceholderPattern(name="NotImplementedError", regex=r"raise\s+NotImplementedError\b"),
    PlaceholderPattern(name="unimplemented!", regex=r"\bunimplemented!\s*\(", paths=["*.rs"]),
    PlaceholderPattern(name=".unwrap()", regex=r"\.unwrap\(\)", paths=["*.rs"]),
    PlaceholderPattern(name="pass  # placeholder", regex=r"\bpass\s*#\s*placeholder", paths=["*.py"]),
    PlaceholderPattern(name="lorem ipsum", regex=r"(?i)lorem\s+ipsum"),
]


Preset = Literal[("command", *AGENT_NAMES)]  # type: ignore[valid-type]
ReviewerPreset = Literal[("none", "command", *REVIEWER_NAMES)]  # type: ignore[valid-type]
_PINNED = ", ".join(f"{name} {p.install.version}" for name, p in PRESETS.items())

# Files that agents, test runners and build tools leave behind: never committed, even in a repository
# without a .gitignore (the work tree's git reads them as core.excludesFile; .gitignore is untouched).
DEFAULT_NEVER_COMMIT = [
    "__pycache__/", "*.py[cod]", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".hypothesis/", ".tox/",
    ".nox/", "*.egg-info/", ".coverage", ".coverage.*", "coverage.xml", "htmlcov/", "node_modules/",
    ".venv/", ".DS_Store", ".aider*",
]


class RunnerConfig(BaseModel):
    """How the SE runner (the coding agent) is started. See docs: the SE runner contract.

    ``preset`` maps the contract onto a real agent CLI (workorder.presets); ``command`` is the whole
    command line for the ``command`` preset, and the executable (default: the agent's own) otherwise.
    """

    model_config = ConfigDict(extra="forbid")

    preset: Preset = Field(default="command", description="one of: " + ", ".join(("command", *AGENT_NAMES)))
    command: str | None = Field(
        default=None,
        description="shell command run in the work tree (preset command); for other presets the agent "
        "executable to call instead of codex / claude / aider",
    )
    timeout: int = Field(default=1800, ge=1, le=6 * 3600, description="seconds per phase, 1 to 21600 (default 1800)")
    env: list[str] = Field(
        default_factory=list,
        description="names of extra environment variables passed to the runner, e.g. OPENAI_API_KEY",
    )
    pass_github_token: bool = Field(default=False, description="true to give the runner GITHUB_TOKEN")
    model: str | None = Field(default=None, description="model name passed to the agent (default: the agent's own default)")
    api_key_env: str | None = Field(
        default=None, pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="name of the variable holding the agent's API key (default per preset: OPENAI_API_KEY "
        "for codex, exported to codex as CODEX_API_KEY too; ANTHROPIC_API_KEY for claude; none for aider, "
        "which reads the variables its model needs from runner.env)",
    )
    extra_args: list[str] = Field(default_factory=list, description="extra command-line arguments for the agent")
    version: str | None = Field(
        default=None, pattern=r"^[0-9A-Za-z.+\-]+$",
        description="agent version installed by the action when asked (install-agent: true); default: the "
        "version the presets were tested with (" + _PINNED + ")",
    )
    max_turns: int | None = Field(default=None, ge=1, le=1000, description="turn limit, where the agent has one (claude)")
    allowed_tools: list[str] = Field(
        default_factory=lambda: ["Read", "Edit", "Write", "Glob", "Grep", "Bash"],
        description="tools the claude preset allows (--allowedTools)",
    )


class BudgetConfig(BaseModel):
    """Limits of one workflow run of the loop, and (``order_*``, ``daily_*``) across runs. Hitting a
    per-run limit ends the phase as blocked with reason budget; the partial work is pushed and ``/wo retry``
    or ``/wo fix`` resumes in a new run. Hitting a per-work-order or daily limit stops it as
    ``budget_exhausted``: only a maintainer's ``/wo budget`` runs it on (workorder.loop.budgets)."""

    model_config = ConfigDict(extra="forbid")

    wall_clock: int | None = Field(default=None, ge=1, description="seconds for all phases of one run")
    max_cost_usd: float | None = Field(default=None, gt=0, description="US dollars the agents may spend in one run")
    max_tokens: int | None = Field(default=None, ge=1, description="tokens (in + out) the agents may use in one run")
    order_max_cost_usd: float | None = Field(
        default=None, gt=0, description="US dollars one work order may spend over all its cycles and runs "
        "(recorded in its tracking state)")
    order_max_tokens: int | None = Field(
        default=None, ge=1, description="tokens one work order may use over all its cycles and runs")
    daily_max_cost_usd: float | None = Field(
        default=None, gt=0, description="US dollars all work orders of the repository may spend per UTC day "
        "(recorded on the spend ledger issue)")
    daily_max_tokens: int | None = Field(
        default=None, ge=1, description="tokens all work orders of the repository may use per UTC day")

    @property
    def daily(self) -> bool:
        """True when a daily cap is set (the spend ledger is read and written only then)."""
        return self.daily_max_cost_usd is not None or self.daily_max_tokens is not None


class ReviewerConfig(BaseModel):
    """The optional LLM PO reviewer, on top of the gates (never looser than them)."""

    model_config = ConfigDict(extra="forbid")

    preset: ReviewerPreset = Field(
        default="none", description="one of: " + ", ".join(("none", "command", *REVIEWER_NAMES)))
    command: str | None = Field(default=None, description="shell command (preset command) or the agent executable")
    timeout: int = Field(default=600, ge=1, le=6 * 3600, description="seconds")
    model: str | None = Field(default=None, description="model name")
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$",
                                    description="name of the variable holding the reviewer's API key")
    env: list[str] = Field(default_factory=list, description="extra environment variable names for the reviewer")
    extra_args: list[str] = Field(default_factory=list, description="extra command-line arguments")
    max_turns: int | None = Field(default=None, ge=1, le=1000,
                                  description="turn limit of the reviewer, where the agent has one (claude: default 10)")


class GitConfig(BaseModel):
    """Identity of the commits the action makes for the agent's work."""

    model_config = ConfigDict(extra="forbid")

    author_name: str = Field(default="github-actions[bot]", description="commit author name")
    author_email: str = Field(
        default="41898282+github-actions[bot]@users.noreply.github.com", description="commit author e-mail"
    )


class RepoConfig(BaseModel):
    """The repo config. Every key has a default; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    label_prefix: str = Field(default="wo:", min_length=1, max_length=20, description="prefix of state labels")
    trigger_label: str | None = Field(
        default=None, description="label that starts a work order (default: <label_prefix>ready)"
    )
    branch_prefix: str = Field(default="wo/", min_length=1, description="prefix of work branches, e.g. wo/")
    protected_paths: list[str] = Field(
        default_factory=lambda: [".github/**"],
        description="globs the agent must never change; the config file itself is always protected",
    )
    archive_path: str | None = Field(
        default=None, max_length=300, pattern=r"^[^/\\.][^\\]*\.md$",
        description="where the PASS commit archives the work order, its verdict and evidence table, "
        "{issue} and {slug} filled in (e.g. docs/work-orders/{issue}-{slug}.md); none: no archive")
    dependency_manifests: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DEPENDENCY_MANIFESTS),
        description="globs of dependency manifests and lock files",
    )
    dependency_register: str | None = Field(
        default=None, max_length=300,
        description="path of the dependency register on the default branch (e.g. .github/workorder-deps.yml); "
        "set: every package a change adds or re-versions in pyproject.toml, requirements*.txt, package.json, "
        "package-lock.json, go.mod or Cargo.toml must be in it (docs/gates.md); the file is protected",
    )
    dependency_audit: Literal["off", "pip-audit"] = Field(
        default="off", description="vulnerability lookup of the packages a change adds or re-versions: off, or "
        "pip-audit (PyPI packages pinned to one version; needs pip-audit on PATH and network to pypi.org); "
        "each advisory is a MAJOR deps.vulnerable finding")
    placeholder_patterns: list[PlaceholderPattern] = Field(
        default_factory=lambda: list(DEFAULT_PLACEHOLDERS),
        description="list of {name, regex, paths}; replaces the default list",
    )
    test_patterns: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TEST_PATTERNS), description="globs that mark a test file"
    )
    max_cycles: int = Field(default=2, ge=1, le=10, description="dev + fix cycles per run, 1 to 10 (default 2)")
    min_permission: Permission = Field(
        default="write", description="one of: read, triage, write, maintain, admin (default write)"
    )
    verify: list[str] = Field(
        default_factory=list, description="shell commands run before the work order's own verify commands"
    )
    verify_timeout: int = Field(default=600, ge=1, le=6 * 3600, description="seconds per verify command")
    command_prefix: str = Field(default="/wo", min_length=2, pattern=r"^\S+$",
                                description="prefix of slash-commands in comments, e.g. /wo")
    require_human_approval: bool = Field(
        default=True, description="true: the commit status turns success only after /wo approve of the head commit"
    )
    ownership: Literal["wait", "refuse", "off"] = Field(
        default="wait", description="path ownership: a work order whose in_scope overlaps a running one's "
        "waits for it (wait, wo:waiting naming the issue), is refused (refuse), or runs anyway (off)")

    plan_first: list[Literal["low", "medium", "high"]] = Field(
        default_factory=list, description="risk tiers whose work orders first hand back a plan (files, approach, "
        "tests) that a person approves with /wo approve before the work starts, e.g. [high]")

    @field_validator("ownership", mode="before")
    @classmethod
    def _off_is_off(cls, value: object) -> object:
        return "off" if value is False else value  # YAML reads a bare off as false
    max_human_cycles: int = Field(
        default=3, ge=0, le=20, description="fix cycles started by people (/wo fix, change-request reviews), 0 to 20"
    )
    allowed_bots: list[str] = Field(
        default_factory=list, description="bot logins whose labels, comments and reviews are acted on"
    )
    runner: RunnerConfig = Field(default_factory=RunnerConfig, description="SE runner settings")
    reviewer: ReviewerConfig = Field(default_factory=ReviewerConfig, description="LLM PO reviewer settings")
    budgets: BudgetConfig = Field(default_factory=BudgetConfig,
                                  description="limits of one run, of one work order and of the repository per day")
    rules_file: str | None = Field(
        default=None, description="team rules put into the SE and review prompts (default: the first of "
        "AGENTS.md, AGENT_RULES.md, CONTRIBUTING.md on the default branch)")
    issue_files: str = Field(
        default="docs/projects/**/issues/*.md",
        description="gitignore-style glob of the issue files `workorder run --milestone` reads")
    accept_action_packet: bool = Field(
        default=False, description="true: a DoD packet the action built from the diff is not a MAJOR finding")
    git: GitConfig = Field(default_factory=GitConfig, description="commit identity")
    isolation: Literal["auto", "user", "none"] = Field(default="auto", description="credential boundary of the SE runner, LLM reviewer and verify commands: auto (run them as an unprivileged agent user of the run's own, workorder-agent-N from the host's pool of 32, whenever the run holds a GitHub token; refuse when that needs root or passwordless sudo and neither is there), user (always), none (run them as the action's user: an injected agent can read the token)")
    network: NetworkConfig = Field(default_factory=NetworkConfig,
                                   description="the agent's egress allow-list and model proxy (workorder.contracts.network_config)")
    never_commit: list[str] = Field(
        default_factory=lambda: list(DEFAULT_NEVER_COMMIT),
        description="gitignore-style patterns of untracked files never committed for the agent (build and "
        "cache files agents and tools leave behind); replaces the default list; the repo's .gitignore is untouched")

    fail_to_pass: FailToPassConfig = Field(default_factory=FailToPassConfig,
                                           description="FAIL_TO_PASS evidence: enabled, test_required")
    acceptance: AcceptanceConfig = Field(default_factory=AcceptanceConfig,
                                         description="held-out acceptance tests: paths")
    diff_coverage: DiffCoverageConfig = Field(default_factory=DiffCoverageConfig,
                                              description="diff coverage of Python changes: enabled, min_percent")

    @field_validator("protected_paths", "dependency_manifests", "test_patterns", "never_commit")
    @classmethod
    def _globs(cls, value: list[str]) -> list[str]:
        return [check_glob(p) for p in value]

    @property
    def trigger(self) -> str:
        """The label name that starts a work order."""
        return self.trigger_label or f"{self.label_prefix}ready"

    @property
    def protected(self) -> list[str]:
        """Protected globs, always including the config file itself."""
        register = [self.dependency_register] if self.dependency_register else []
        return [*self.protected_paths, CONFIG_PATH, *register]


def parse_repo_config(text: str | None, source: str = CONFIG_PATH) -> RepoConfig:
    """Parse the YAML text of a repo config; None or empty text gives the defaults.

    Raises :class:`InvalidInput` naming each bad key and what is expected.
    """
    if text is None or not text.strip():
        return RepoConfig()
    try:
        data = safe_load(text, source)
    except InputLimitExceeded as exc:  # too big, too deep, a huge integer: the problem names the key
        raise InvalidInput(source, exc.problems) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(source, [Problem(field="(file)", message=yaml_error_message(exc))]) from None
    if data is None:
        return RepoConfig()
    if not isinstance(data, dict):
        raise InvalidInput(source, [Problem(field="(file)", message="is not a mapping", expected="key: value lines")])
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(source, problems_from_validation_error(exc, RepoConfig)) from None
