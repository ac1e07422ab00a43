"""The work tree of one work order: where the SE runner works, on the issue's branch.

On GitHub the branch is resumed from the remote when it exists (a re-run, a fix cycle) and started at
the default branch otherwise; local runs reuse the local branch. Untracked build and cache files and
the agent's own files are never committed (config ``never_commit`` and the preset's ``leaves_behind``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..shell.gitops import Git, GitError
from ..presets import preset_of
from .state import TrackingState


@dataclass(frozen=True)
class PreparedWorkTree:
    """The work tree ``git`` and whether it continues an ``existing_branch``."""

    git: Git
    existing_branch: bool


@dataclass(frozen=True)
class WorkTrees:
    """Makes work trees of the checkout ``git`` under folder ``root`` (one per issue number).
    ``base_ref``: where new branches start; ``push``: False for local runs (no remote is asked);
    ``never_commit``: gitignore-style patterns kept out of every commit."""

    git: Git
    root: Path
    base_ref: str
    push: bool
    never_commit: tuple[str, ...]

    @classmethod
    def for_config(cls, git: Git, root: Path, base_ref: str, push: bool, config) -> WorkTrees:
        """Work trees with the config's ``never_commit`` patterns plus the runner preset's own files."""
        preset = preset_of(config.runner.preset)
        return cls(git, root, base_ref, push, (*config.never_commit, *(preset.leaves_behind if preset else ())))

    def prepare(self, number: int, s: TrackingState) -> PreparedWorkTree:
        """The work tree of issue ``number`` on ``s.branch``; sets ``s.base_sha`` when it is new.
        Raises GitError when git fails or the base cannot be resolved."""
        assert s.branch is not None
        if not self.push:
            return self._local(number, s)
        remote_sha = self.git.remote_branch_sha(s.branch)
        if remote_sha:
            start = self.git.fetch_branch(s.branch)
            if not s.base_sha:
                s.base_sha = self.git.run("merge-base", self.base_ref, start).strip()
        else:
            start = self._base()
            s.base_sha = start
        wt = self.git.add_worktree(self.root / str(number), s.branch, start)
        return PreparedWorkTree(wt.never_committing(list(self.never_commit)), bool(remote_sha))

    def _local(self, number: int, s: TrackingState) -> PreparedWorkTree:
        """Local runs: reuse the local branch if it exists (a resumed issue), else start at base_ref."""
        assert s.branch is not None
        local = self.git.rev(f"refs/heads/{s.branch}")
        base = self._base()
        if local and s.base_sha:
            start = local
        else:
            start, s.base_sha = base, base
        path = self.root / str(number)
        if path.exists() and self.git.at(path).rev("HEAD") == start:
            wt = self.git.at(path)  # the work tree, reused
        else:
            wt = self.git.add_worktree(path, s.branch, start)
        return PreparedWorkTree(wt.never_committing(list(self.never_commit)), bool(local and start == local))

    def _base(self) -> str:
        sha = self.git.rev(self.base_ref)
        if sha is None:
            raise GitError(f"cannot resolve {self.base_ref} in the checkout")
        return sha
