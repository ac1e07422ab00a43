"""The verify commands' run on the base commit, once per work order (the baseline gate compares with it).

The action runs the same verify commands, with the same environment and sandbox, in a detached work tree
at the base commit (``<worktrees>/<issue>-base``) and keeps the results in the run records
(``<runs>/<issue>/base-<sha>-<commands>/results.json``, reused by every later cycle). The comparison is
:mod:`workorder.gates.baseline`'s.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..evidence.testresults import TestResults, collect_results
from ..evidence.verify import run_verify_commands

if TYPE_CHECKING:
    from ..evidence.testresults_model import VerifyRun
    from ..shell.gitops import Git
    from .deps import LoopDeps


def observe_tests(deps: LoopDeps, issue: int, worktree: Path, base_sha: str, log_dir: Path,
                  runs: list[VerifyRun]) -> tuple[TestResults, TestResults | None]:
    """The test results of ``runs`` (the review's verify run in ``worktree``, logs in ``log_dir``) and
    those of the same commands on ``base_sha`` (None when there are no verify commands). Call it before
    the work tree is cleaned: the reports are in it. Raises GitError when the base tree cannot be made."""
    current = collect_results(worktree, log_dir, runs)
    if not runs:
        return current, None
    return current, base_results(deps, issue, base_sha, [r.cmd for r in runs])


def base_results(deps: LoopDeps, issue: int, base_sha: str, commands: list[str]) -> TestResults:
    """The results of ``commands`` on commit ``base_sha``, from the run records when an earlier cycle
    of ``issue`` ran them (same base, same commands), else by running them there now (then recorded)."""
    digest = hashlib.sha256("\n".join(commands).encode()).hexdigest()[:12]
    records = deps.journal.root / str(issue) / f"base-{base_sha[:12]}-{digest}"
    cached = records / "results.json"
    if cached.is_file():
        return TestResults.model_validate_json(cached.read_text(encoding="utf-8"))
    records.mkdir(parents=True, exist_ok=True)
    results = run_on_base(deps.git, deps.worktrees / f"{issue}-base", base_sha, commands, deps, records)
    cached.write_text(results.model_dump_json(indent=2), encoding="utf-8")
    return results


def run_on_base(git: Git, tree: Path, base_sha: str, commands: list[str], deps: LoopDeps, log_dir: Path) -> TestResults:
    """Run ``commands`` in a detached work tree of ``git`` at ``base_sha`` made at ``tree`` (removed
    afterwards), with the verify environment, timeout and sandbox of ``deps``; logs and reports go to
    ``log_dir``. Returns their test results."""
    _remove_tree(git, tree)
    tree.parent.mkdir(parents=True, exist_ok=True)
    git.run("worktree", "add", "-q", "--detach", str(tree), base_sha)
    try:
        runs = run_verify_commands(commands, tree, deps.verify_env, deps.config.verify_timeout, log_dir,
                                   sandbox=deps.sandbox, test_reports=True)
        return collect_results(tree, log_dir, runs)
    finally:
        _remove_tree(git, tree)


def _remove_tree(git: Git, tree: Path) -> None:
    git.run("worktree", "remove", "--force", str(tree), check=False)
    shutil.rmtree(tree, ignore_errors=True)
    git.run("worktree", "prune", check=False)
