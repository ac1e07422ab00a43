"""Tests that passed must still pass, and no fewer run: the base commit's test results against the branch's.

Once per work order the action runs the same verify commands, with the same environment and sandbox,
in a detached work tree at the base commit (``<worktrees>/<issue>-base``) and keeps the results in the
run records (``<runs>/<issue>/base-<sha>-<commands>/results.json``, reused by every later cycle). Each
review then compares the branch's results with them: a test that passed on the base and is now missing,
skipped or failing is a BLOCKER (``tests.regressed``), and so is a verify command that collects fewer
tests than on the base or whose results can no longer be read (``tests.fewer_collected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..contracts.packet import Finding, Severity
from ..evidence.diff import Diff
from ..templates import active
from ..evidence.testresults import TestCase, TestResults
from .rules import GateSpec, Rule
from .test_identity import continuity

if TYPE_CHECKING:
    from .context import GateContext

MAX_LISTED = 25  # test ids listed in one finding's evidence


@dataclass(frozen=True)
class Regression:
    """A test that passed on the base: its ``label`` (node id or dotted id) and what it is now
    (``missing``, ``failed``, ``error`` or ``skipped``)."""

    label: str
    now: str


@dataclass(frozen=True)
class Shortfall:
    """A verify command ``cmd`` that collected ``base`` tests on the base and ``now`` on the branch
    (None: its results could not be read), with the ``missing`` tests' labels when they are named."""

    cmd: str
    base: int
    now: int | None
    missing: tuple[str, ...] = ()


# -- comparison ----------------------------------------------------------------------------------
def renamed_modules(diff: Diff) -> dict[str, str]:
    """Dotted module names of the Python files the diff renames: old → new."""
    return {_module(f.old_path): _module(f.path) for f in diff.files
            if f.status == "R" and f.old_path and f.old_path.endswith(".py") and f.path.endswith(".py")}


def _module(path: str) -> str:
    return path[:-3].replace("/", ".")


def regressions(base: TestResults, now: TestResults, renamed: dict[str, str] | None = None,
                removable: frozenset[str] = frozenset()) -> list[Regression]:
    """Tests that passed on ``base`` and are missing, skipped or failing in ``now``, for each command
    whose results name their tests on both sides. A test in a renamed module or a renamed test
    (``renamed``, old → new dotted names) is looked up under its new name, a parametrized one as all of
    its cases; a test in ``removable`` (dotted ids the work order lets go) may be missing."""
    renamed = renamed or {}
    found: list[Regression] = []
    for before in base.commands:
        after = now.of(before.cmd)
        if after is None or not before.cases or not after.names_tests:
            continue
        by_id = {case.id: case for case in after.cases}
        for case in (c for c in before.cases if c.outcome == "passed"):
            match = by_id.get(case.id) or by_id.get(_renamed(case.id, renamed)) or _parametrized(
                after.cases, _renamed(case.id, renamed))
            if match is None and case.id in removable:
                continue
            if match is None or match.outcome != "passed":
                found.append(Regression(case.label, match.outcome if match else "missing"))
    return found


def _parametrized(cases: list[TestCase], test_id: str) -> TestCase | None:
    """The first failing case of parametrized ``test_id`` (``test_id[...]``), else its first case."""
    mine = [c for c in cases if c.id.startswith(test_id + "[")]
    return next((c for c in mine if c.outcome != "passed"), mine[0] if mine else None)


def _renamed(test_id: str, renamed: dict[str, str]) -> str:
    if test_id in renamed:
        return renamed[test_id]
    for old, new in renamed.items():
        if test_id.startswith(old + "."):
            return new + test_id[len(old):]
    return test_id


def shortfalls(base: TestResults, now: TestResults, removable: frozenset[str] = frozenset()) -> list[Shortfall]:
    """Verify commands that collect fewer tests in ``now`` than on ``base`` (less the ``removable`` tests
    the work order lets go), or whose results ``now`` lacks, with the base tests that are gone when both
    sides name them."""
    found = []
    for before in base.commands:
        after = now.of(before.cmd)
        let_go = sum(1 for c in before.cases if c.id in removable)
        if after is not None and after.collected >= before.collected - let_go:
            continue
        ids = {c.id for c in after.cases} if after is not None and after.names_tests else None
        missing = tuple(c.label for c in before.cases if ids is not None and c.id not in ids)
        found.append(Shortfall(before.cmd, before.collected, after.collected if after else None, missing))
    return found


REGRESSED = Rule("tests.regressed", Severity.BLOCKER,
                 "a test that passed on the base commit is now missing, skipped or failing",
                 anchor="pass_to_pass-with-test-identity")
FEWER_COLLECTED = Rule("tests.fewer_collected", Severity.BLOCKER, "a verify command collects fewer tests than on the base",
                       anchor="pass_to_pass-with-test-identity")


def gate_baseline(ctx: GateContext) -> list[Finding]:
    """BLOCKER ``tests.regressed`` listing the tests that passed on the base and are missing, skipped
    or failing now; BLOCKER ``tests.fewer_collected`` for each verify command that collects fewer tests
    than on the base (or whose results are gone). Renamed, extended, folded and ordered-removed tests
    are understood (:mod:`workorder.gates.test_identity`). Nothing when the base results are unknown."""
    base, now = ctx.baseline_results, ctx.test_results
    if base is None or now is None:
        return []
    findings = []
    kept = continuity(ctx)
    lost = regressions(base, now, {**renamed_modules(ctx.diff), **kept.renamed}, kept.removable)
    if lost:
        findings.append(REGRESSED.finding(
            message=active().render_line("baseline_finding.txt.j2", part="message", rule="tests.regressed", lost=lost),
            evidence=active().render("baseline_finding.txt.j2", part="evidence", rule="tests.regressed",
                                  lost=lost, limit=MAX_LISTED).strip()))
    for short in shortfalls(base, now, kept.removable):
        findings.append(FEWER_COLLECTED.finding(
            message=active().render_line("baseline_finding.txt.j2", part="message", rule="tests.fewer_collected", short=short),
            evidence=active().render("baseline_finding.txt.j2", part="evidence", rule="tests.fewer_collected",
                                  short=short, limit=MAX_LISTED).strip()))
    return findings


GATE = GateSpec("baseline", gate_baseline, (REGRESSED, FEWER_COLLECTED), order=40)
