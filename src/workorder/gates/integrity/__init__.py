"""Test-integrity gates: the ways a coding agent can make checks pass without doing the work.

One gate of the registry (:data:`GATE`, :func:`gate_test_integrity`) runs every check below on the final diff
(reading the base and head versions of the changed files from git) and on the action's own verify
run. Each check is a small function with its own rule (:data:`.report.INTEGRITY_RULES`); every finding
carries evidence (path:line and the line or assertion as written, or the command, its exit code and
the end of its output). The rules of what a work order allows are in :mod:`.policy`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...contracts.packet import Finding
from ...shell.gitenv import git_argv, process_git_environment
from .code_gates import gate_code
from .policy import CODE_SUFFIXES, Policy, is_script, verify_file_kind
from ..rules import GateSpec
from .report import INTEGRITY_RULES, RULES
from .sources import Source, cat_file_batch, load_sources
from .tests_gates import ChangedTests, gate_assert_weakened, gate_skip_added, gate_tests_removed
from .verify_run import gate_verify_output
from .verify_gates import gate_config_changed, gate_masked, gate_suppressions, gate_thresholds

if TYPE_CHECKING:
    from ..context import GateContext

__all__ = ["GATE", "RULES", "gate_test_integrity"]

MAX_TEST_FILES = 2000  # test files scanned for a special-cased literal


def _wanted(ctx: GateContext, policy: Policy, verify_cmds: list[str]) -> set[str]:
    names = ("pyproject.toml", "setup.cfg", "package.json")
    paths = set()
    for path in ctx.diff.touched_paths:
        if (path.endswith(CODE_SUFFIXES) or path.endswith(".pyi") or policy.is_test_file(path) or is_script(path)
                or verify_file_kind(path, verify_cmds) or path.rsplit("/", 1)[-1] in names):
            paths.add(path)
    return paths


def _test_texts(ctx: GateContext, policy: Policy, sources: list[Source]) -> Callable[[str], bool]:
    """A lazy ``literal -> bool``: does any test file at the head contain the literal's text?"""
    cache: list[str] = []

    def load() -> list[str]:
        texts = [s.head for s in sources if s.head and policy.is_test_file(s.path)]
        if ctx.diff.base:
            listing = subprocess.run(git_argv("ls-tree", "-r", "--name-only", ctx.diff.head), cwd=ctx.worktree,
                                     capture_output=True, text=True, check=False,
                                     env=process_git_environment()).stdout.splitlines()
            specs = [f"{ctx.diff.head}:{p}" for p in listing if policy.is_test_file(p)][:MAX_TEST_FILES]
            texts += [t for t in cat_file_batch(ctx.worktree, specs).values() if t]
        return texts

    def contains(literal: str) -> bool:
        if not cache:
            cache.append("\n".join(load()))
        variants = {literal, literal.replace("'", '"')}
        return any(v in cache[0] for v in variants)
    return contains


def gate_test_integrity(ctx: GateContext) -> list[Finding]:
    """Every test-integrity check on ``ctx``'s diff (see :data:`RULES` for rule ids and severities):
    tests removed, skipped or weakened; verify config changed or exit statuses masked; quality bars
    lowered or checks suppressed; errors swallowed, bodies emptied, test inputs special-cased."""
    verify_cmds = [*ctx.config.verify, *ctx.work_order.verify]
    policy = Policy.build(ctx.work_order, ctx.config.test_patterns)
    sources = load_sources(ctx.diff, ctx.worktree, _wanted(ctx, policy, verify_cmds))
    if not sources:
        return gate_verify_output(ctx.verify_runs)
    changes = ChangedTests(sources, policy)
    return [
        *gate_verify_output(ctx.verify_runs),
        *gate_tests_removed(changes),
        *gate_skip_added(changes),
        *gate_assert_weakened(changes),
        *gate_masked(sources, verify_cmds),
        *gate_config_changed(sources, policy, verify_cmds),
        *gate_thresholds(sources, verify_cmds),
        *gate_suppressions(sources, policy),
        *gate_code(sources, policy, _test_texts(ctx, policy, sources)),
    ]


GATE = GateSpec("test_integrity", gate_test_integrity, INTEGRITY_RULES, order=50)
