"""Held-out acceptance tests, the action's side: hiding them from the agent's work tree and running them.

Before every SE phase the action takes the files ``acceptance.paths`` names out of the agent's work tree:
each tracked file they match is marked ``skip-worktree`` in the index (so the agent's commit neither
deletes nor changes it) and deleted from the disk. The review puts them back from the base commit for one
run of the verify commands (``acceptance.commands`` when set) and hides them again; the base run and the
base-source run never hold them. The run's logs are written to a temporary folder and deleted. The
verdict on the results is :mod:`workorder.gates.heldout`'s.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..evidence.testresults import collect_results
from ..evidence.verify import run_verify_commands
from ..evidence.heldout_results import HeldOut
from ..inputs.globs import compile_globs

if TYPE_CHECKING:
    from ..shell.gitops import Git
    from .deps import LoopDeps

CHUNK = 200  # paths per git command


def heldout_files(git: Git, patterns: list[str]) -> list[str]:
    """The files tracked in ``git``'s index that ``patterns`` match (none without patterns)."""
    if not patterns:
        return []
    spec = compile_globs(patterns)
    return [p for p in git.run("ls-files", "-z").split("\0") if p and spec.match_file(p)]


def hide(git: Git, patterns: list[str]) -> list[str]:
    """Take the held-out files out of work tree ``git``: skip-worktree in the index, deleted on disk
    (with the folders they leave empty). Idempotent. Returns their paths."""
    paths = heldout_files(git, patterns)
    for start in range(0, len(paths), CHUNK):
        git.run("update-index", "--skip-worktree", "--", *paths[start:start + CHUNK])
    for path in paths:
        (git.repo / path).unlink(missing_ok=True)
        _prune_folders(git.repo, path)
    return paths


def _prune_folders(root: Path, path: str) -> None:
    """Remove the folders of ``path`` under ``root`` that are left empty (an empty folder names the file)."""
    folder = (root / path).parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def remove_from_tree(tree: Path, patterns: list[str]) -> None:
    """Delete every file under ``tree`` that ``patterns`` match (a base or base-source work tree)."""
    if not patterns:
        return
    spec = compile_globs(patterns)
    for path in [p for p in tree.rglob("*") if ".git" not in p.relative_to(tree).parts]:
        if (path.is_file() or path.is_symlink()) and spec.match_file(path.relative_to(tree).as_posix()):
            path.unlink()


def _put_back(git: Git, base_sha: str, paths: list[str]) -> None:
    for start in range(0, len(paths), CHUNK):
        chunk = paths[start:start + CHUNK]
        git.run("update-index", "--no-skip-worktree", "--", *chunk)
        git.run("checkout", "-q", base_sha, "--", *chunk)


def run_heldout(deps: LoopDeps, wt: Git, base_sha: str, verify: list[str]) -> HeldOut | None:
    """Put the held-out files of ``deps.config.acceptance`` back into ``wt`` (as at ``base_sha``), run
    the acceptance commands (default: the ``verify`` commands) with test reports, hide the files again and
    return what ran. None when the config names no held-out file. Logs go to a temporary folder that is
    deleted. Raises GitError when git fails."""
    config = deps.config.acceptance
    paths = hide(wt, config.paths)
    if not paths:
        return None
    commands = config.commands or verify
    logs = Path(tempfile.mkdtemp(prefix="workorder-heldout-"))
    before = tree_snapshot(wt.repo)
    try:
        _put_back(wt, base_sha, paths)
        runs = run_verify_commands(commands, wt.repo, deps.verify_env, deps.config.verify_timeout, logs,
                                   sandbox=deps.sandbox, test_reports=True)
        results = collect_results(wt.repo, logs, runs)
    finally:
        shutil.rmtree(logs, ignore_errors=True)
        hide(wt, config.paths)
        scrub_tree(wt, before)  # the run executed the agent's code beside the held-out tests: nothing it wrote stays
        if deps.sandbox is not None:
            deps.sandbox.scrub_shared_tmp()
    return HeldOut(tuple(paths), results)


def tree_snapshot(tree: Path) -> dict[str, tuple[int, int]]:
    """Every file, link and folder under ``tree`` outside ``.git`` as relative path -> (size, mtime in ns),
    taken before a run that holds the held-out tests (see :func:`scrub_tree`)."""
    found: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in [*dirs, *files]:
            path = Path(folder, name)
            st = path.lstat()
            found[path.relative_to(tree).as_posix()] = (st.st_size, st.st_mtime_ns)
    return found


def scrub_tree(wt: Git, before: dict[str, tuple[int, int]]) -> list[str]:
    """Undo in work tree ``wt`` what a run that held the held-out tests wrote, so the next SE phase cannot
    read a copy: tracked files it changed or deleted are checked out from the index again; every other path
    that is new or changed since ``before`` (:func:`tree_snapshot`; untracked or ignored files, folders,
    links: a copy, or a name spelling the test out) is deleted. Returns the deleted paths. Raises GitError."""
    changed = [p for p in wt.run("diff", "--name-only", "-z").split("\0") if p]
    for start in range(0, len(changed), CHUNK):
        wt.run("checkout", "-q", "--", *changed[start:start + CHUNK])
    tracked = {p for p in wt.run("ls-files", "-z").split("\0") if p}
    removed = []
    for path, facts in sorted(tree_snapshot(wt.repo).items(), key=lambda item: -item[0].count("/")):
        if path in tracked or before.get(path) == facts or (path in before and (wt.repo / path).is_dir()):
            continue
        target = wt.repo / path
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
        removed.append(path)
    return removed
