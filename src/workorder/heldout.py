"""Held-out acceptance tests: tests on the default branch the SE runner never sees.

The config names them (``acceptance.paths``, gitignore-style globs; the config is read from the default
branch only). Before every SE phase the action takes them out of the agent's work tree: each tracked file
they match is marked ``skip-worktree`` in the index (so the agent's commit neither deletes nor changes
it) and deleted from the disk; the prompt and the preset's file list never name them. The review puts
them back from the base commit for one run of the verify commands (``acceptance.commands`` when set),
reads the results of the tests in those files, and hides them again; the base run and the base-source
run never hold them. The run's logs are written to a temporary folder and deleted.

A held-out test that fails, errors, is skipped or does not run on the head is a BLOCKER
(``acceptance.failed``). Its message names the done_when criterion (a test whose id contains
``criterion_<n>`` belongs to criterion n; any other to every criterion) and how many held-out tests
fail, never a test's name, input or output: the corrective prompt reveals nothing to special-case.
Only Python test files are read (pytest's JUnit report, ``unittest -v``); others are "not measured".
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .contracts import Finding, Severity
from .globs import compile_globs
from .templates import Templates
from .testresults import TestResults, collect_results
from .verify import run_verify_commands

if TYPE_CHECKING:
    from .gates import GateContext
    from .gitops import Git
    from .loop import LoopDeps

_TEXT = Templates()
_CRITERION = re.compile(r"criterion_(\d+)", re.IGNORECASE)
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


@dataclass(frozen=True)
class HeldOut:
    """The held-out run: the test files (``paths``) and the results of their tests (``results``)."""

    paths: tuple[str, ...]
    results: TestResults

    def modules(self) -> tuple[str, ...]:
        """Dotted module names of the Python held-out files (how their test ids start)."""
        return tuple(p[:-3].replace("/", ".") for p in self.paths if p.endswith(".py"))

    def cases(self):
        """The test cases of the held-out files, over every command."""
        mods = self.modules()
        return [c for c in self.results.cases if c.id.startswith(tuple(m + "." for m in mods))]


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
    try:
        _put_back(wt, base_sha, paths)
        runs = run_verify_commands(commands, wt.repo, deps.verify_env, deps.config.verify_timeout, logs,
                                   sandbox=deps.sandbox, test_reports=True)
        results = collect_results(wt.repo, logs, runs)
    finally:
        shutil.rmtree(logs, ignore_errors=True)
        hide(wt, config.paths)
    return HeldOut(tuple(paths), results)


def gate_heldout(ctx: GateContext) -> list[Finding]:
    """BLOCKER ``acceptance.touched`` when the diff touches a held-out path; BLOCKER ``acceptance.failed``
    per done_when criterion whose held-out tests fail, error, are skipped, or do not run at all (then
    for every criterion). Nothing without a held-out run (``ctx.heldout``)."""
    heldout = ctx.heldout
    findings = []
    spec = compile_globs(ctx.config.acceptance.paths) if ctx.config.acceptance.paths else None
    if spec is not None and any(spec.match_file(p) for p in ctx.diff.touched_paths):
        findings.append(_finding("acceptance.touched", None, 0, 0))
    if heldout is None:
        return findings
    cases = heldout.cases()
    criteria = range(1, len(ctx.work_order.done_when) + 1)
    if not cases:
        return findings + [_finding("acceptance.failed", None, 0, 0)]
    failing: dict[int | None, list] = {}
    for case in cases:
        match = _CRITERION.search(case.id)
        number = int(match[1]) if match and int(match[1]) in criteria else None
        failing.setdefault(number, [])
        if case.outcome != "passed":
            failing[number].append(case)
    for number, bad in sorted(failing.items(), key=lambda item: item[0] or 0):
        if bad:
            findings.append(_finding("acceptance.failed", number, len(bad), len(cases), ctx))
    return findings


def _finding(rule: str, number: int | None, failed: int, total: int, ctx: GateContext | None = None) -> Finding:
    criterion = ctx.work_order.done_when[number - 1][:120] if ctx is not None and number else None
    facts = {"rule": rule, "number": number, "criterion": criterion, "failed": failed, "total": total}
    return Finding(severity=Severity.BLOCKER, rule=rule,
                   message=_TEXT.render_line("heldout_finding.txt.j2", part="message", **facts),
                   evidence=_TEXT.render("heldout_finding.txt.j2", part="evidence", **facts).strip())
