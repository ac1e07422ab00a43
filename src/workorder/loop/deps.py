"""What the loop runs with (:class:`LoopDeps`), built by the entry point (Action, CLI or demo)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..agents.runner import RunnerSpec
from ..contracts.config import RepoConfig
from ..contracts.forge import Forge
from ..shell.gitops import Git
from ..shell.isolation import Sandbox
from ..templates import Templates
from .audit import Journal

__all__ = ["LoopDeps"]


@dataclass(frozen=True)
class LoopDeps:
    """What the loop runs with. Built by the entry point (Action, CLI or demo).

    forge: where labels, comments, PRs, reviews and statuses go. review_forge: a second identity for
    reviews (a distinct PO account may request changes); None posts reviews through ``forge`` as
    COMMENT. git: the checkout of the default branch, whose ``base_ref`` (default HEAD) is where
    new work branches start; default_branch is the pull request base. worktrees: folder for the per-issue work trees.
    verify_env: the scrubbed environment of verify commands. secrets: strings redacted from anything
    posted. run_url: link to this workflow run, if any.
    """

    forge: Forge
    git: Git
    config: RepoConfig
    templates: Templates
    runner: RunnerSpec
    verify_env: dict[str, str]
    journal: Journal
    worktrees: Path
    default_branch: str = "main"
    base_ref: str = "HEAD"
    review_forge: Forge | None = None
    run_url: str | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    rules: str | None = None  # the team's rules file text (AGENTS.md, …) from the default branch
    push: bool = True  # False for local runs: branches stay local (no remote is asked or written)
    rules_path: str | None = None
    reviewer_env: dict[str, str] = field(default_factory=dict, repr=False)
    clock: Callable[[], float] = time.monotonic
    sandbox: Sandbox | None = None  # the credential boundary of runner, reviewer and verify; None: none
