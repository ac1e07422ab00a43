"""Read what must come from the default branch only: the repo config and template overrides.

They are read from the committed default branch (``origin/<default>`` when the checkout has it,
else ``HEAD``) before any agent runs, never from a work tree the agent changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import CONFIG_PATH, RepoConfig, parse_repo_config
from ..shell.gitops import Git
from ..inputs.problems import InvalidInput, Problem
from ..templates import OVERRIDE_DIR, Templates


RULES_FILES = ("AGENTS.md", "AGENT_RULES.md", "CONTRIBUTING.md")
MAX_RULES_CHARS = 20_000


@dataclass(frozen=True)
class DefaultBranchFiles:
    """The default branch's ``ref`` (what was read), its config (defaults when invalid), the config
    problems (empty when valid), templates with the repo's overrides applied, and the team's rules
    file (its text, at most ``MAX_RULES_CHARS``, and path; None when there is none)."""

    ref: str
    config: RepoConfig
    templates: Templates
    problems: list[Problem] = field(default_factory=list)
    rules: str | None = None
    rules_path: str | None = None


def default_branch_ref(git: Git, default_branch: str) -> str:
    """``origin/<default_branch>`` if the checkout has it, else ``HEAD``."""
    remote = f"refs/remotes/origin/{default_branch}"
    return remote if git.rev(remote) else "HEAD"


def read_default_branch(git: Git, default_branch: str, ref: str | None = None) -> DefaultBranchFiles:
    """Read the config and template overrides of the default branch in ``git``'s checkout (or of
    commit ``ref``, for local runs). Never raises for bad content: an invalid config is returned as
    problems (with the defaults)."""
    ref = ref or default_branch_ref(git, default_branch)
    overrides = {}
    for name in git.list_dir(ref, OVERRIDE_DIR):
        if name.endswith(".j2"):
            text = git.show_file(ref, f"{OVERRIDE_DIR}/{name}")
            if text is not None:
                overrides[name] = text
    templates = Templates(overrides)
    try:
        config = parse_repo_config(git.show_file(ref, CONFIG_PATH))
        problems: list[Problem] = []
    except InvalidInput as exc:
        config, problems = RepoConfig(), exc.problems
    rules_path = next((p for p in ([config.rules_file] if config.rules_file else RULES_FILES)
                       if git.show_file(ref, p) is not None), None)
    rules = git.show_file(ref, rules_path)[:MAX_RULES_CHARS] if rules_path else None
    return DefaultBranchFiles(ref=ref, config=config, templates=templates, problems=problems, rules=rules,
                              rules_path=rules_path)


@dataclass(frozen=True)
class Trusted:
    """What the run trusts, all from the default branch: config (action inputs applied), templates,
    the config's problems, the ref it was read at, the team rules; plus the checkout ``git``."""

    git: Git
    is_repo: bool
    config: RepoConfig
    templates: Templates
    problems: list[Problem]
    base_ref: str
    default_branch: str
    repository: str
    rules: str | None = None
    rules_path: str | None = None
