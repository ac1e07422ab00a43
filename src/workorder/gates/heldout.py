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
Hiding the files and the run are :mod:`workorder.loop.heldout_run`'s; this module judges the results.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..contracts.packet import Finding, Severity
from ..inputs.globs import compile_globs
from ..templates import active
from .rules import GateSpec, Rule

if TYPE_CHECKING:
    from .context import GateContext

_CRITERION = re.compile(r"criterion_(\d+)", re.IGNORECASE)


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


FAILED = Rule("acceptance.failed", Severity.BLOCKER, "a held-out acceptance test fails, errors, is skipped or does not run",
              anchor="held-out-acceptance-tests")
TOUCHED = Rule("acceptance.touched", Severity.BLOCKER, "the diff touches a path acceptance.paths names",
               anchor="held-out-acceptance-tests")
_RULES = {rule.id: rule for rule in (FAILED, TOUCHED)}


def _finding(rule: str, number: int | None, failed: int, total: int, ctx: GateContext | None = None) -> Finding:
    criterion = ctx.work_order.done_when[number - 1][:120] if ctx is not None and number else None
    facts = {"rule": rule, "number": number, "criterion": criterion, "failed": failed, "total": total}
    return _RULES[rule].finding(message=active().render_line("heldout_finding.txt.j2", part="message", **facts),
                                evidence=active().render("heldout_finding.txt.j2", part="evidence", **facts).strip())


GATE = GateSpec("heldout", gate_heldout, (FAILED, TOUCHED), order=30)
