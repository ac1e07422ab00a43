"""Test identity across a change: which base test a head test continues, for PASS_TO_PASS.

A test that passed on the base must pass on the head under the same identity, or under the identity of
the head test that continues it: renamed or moved with the same body, renamed with its old assertions
kept and new ones added, or folded into a parametrized test (:mod:`workorder.gates.integrity.continuation`).
A test the work order asks to remove (it names the test and says remove, delete or drop) may be gone.
Identities are the dotted ids of :mod:`workorder.evidence.testresults` (Python: ``tests.test_a.Class.test_x``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .integrity.continuation import folded
from .integrity.policy import Policy
from .integrity.sources import load_sources
from .integrity.tests_gates import ChangedTests

if TYPE_CHECKING:
    from .context import GateContext
    from .integrity.model import TestCase


@dataclass(frozen=True)
class Continuity:
    """``renamed``: old dotted id -> the dotted id of the head test that continues it (a parametrized
    one matches every ``[...]`` case); ``removable``: dotted ids of base tests the work order lets go."""

    renamed: dict[str, str] = field(default_factory=dict)
    removable: frozenset[str] = frozenset()


def dotted_id(test: TestCase) -> str | None:
    """The dotted id of a Python test read by the integrity gates (module path + key), else None."""
    if not test.path.endswith(".py"):
        return None
    return test.path[:-3].replace("/", ".") + "." + test.key


def continuity(ctx: GateContext) -> Continuity:
    """The continuations and allowed removals of the Python tests in the changed test files of ``ctx``'s
    diff (base and head read from git). Empty when no test file changed."""
    policy = Policy.build(ctx.work_order, ctx.config.test_patterns)
    wanted = {p for p in ctx.diff.touched_paths if p.endswith(".py") and policy.is_test_file(p)}
    wanted |= {f.old_path for f in ctx.diff.files if f.old_path and policy.is_test_file(f.old_path)}
    if not wanted:
        return Continuity()
    changes = ChangedTests(load_sources(ctx.diff, ctx.worktree, wanted), policy)
    renamed: dict[str, str] = {}
    removable: set[str] = set()
    for source, base, _ in changes.files:
        for test in base.tests if base else ():
            old = dotted_id(test)
            head = changes.match(source, test) or next((c for c in changes.head_tests if folded(test, c)), None)
            new = dotted_id(head) if head else None
            if old and new and new != old:
                renamed[old] = new
            elif old and head is None and policy.allows_removal(test.name):
                removable.add(old)
    return Continuity(renamed, frozenset(removable))
