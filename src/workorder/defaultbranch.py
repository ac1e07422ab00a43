"""Read what must come from the default branch only: the repo config and template overrides.

They are read from the committed default branch (``origin/<default>`` when the checkout has it,
else ``HEAD``) before any agent runs, never from a work tree the agent changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import CONFIG_PATH, RepoConfig, parse_repo_config
from .gitops import Git
from .problems import InvalidInput, Problem
from .templates import OVERRIDE_DIR, Templates


@dataclass(frozen=True)
class DefaultBranchFiles:
    """The default branch's ``ref`` (what was read), its config (defaults when invalid), the config
    problems (empty when valid), and templates with the repo's overrides applied."""

    ref: str
    config: RepoConfig
    templates: Templates
    problems: list[Problem] = field(default_factory=list)


def default_branch_ref(git: Git, default_branch: str) -> str:
    """``origin/<default_branch>`` if the checkout has it, else ``HEAD``."""
    remote = f"refs/remotes/origin/{default_branch}"
    return remote if git.rev(remote) else "HEAD"


def read_default_branch(git: Git, default_branch: str) -> DefaultBranchFiles:
    """Read the config and template overrides of the default branch in ``git``'s checkout.

    Never raises for bad content: an invalid config is returned as problems (with the defaults).
    """
    ref = default_branch_ref(git, default_branch)
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
    return DefaultBranchFiles(ref=ref, config=config, templates=templates, problems=problems)
