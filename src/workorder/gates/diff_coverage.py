"""Diff coverage: the source lines a change adds must run under the tests.

The review's own verify run is measured (no extra run). Python with coverage.py: every Python process the
verify commands start imports a ``sitecustomize`` the action puts first on ``PYTHONPATH``, which records
only the changed files, from the first import of one; each added line that coverage.py counts as a
statement, in a changed Python file that is not a test file, must have run. Other languages through
language probes in the same run: Go's ``go test`` runs leave coverage profiles
(:mod:`workorder.evidence.coverage_go`), Jest and Vitest their Istanbul JSON or LCOV reports
(:mod:`workorder.evidence.coverage_js`); an added line the data marks as executable must have run. Below
``diff_coverage.min_percent`` the review gets a MAJOR ``coverage.changed_lines`` naming the path:line
ranges that never ran (above it, the same finding as a MINOR note). Changed code no probe measured (a
language without one, or no data came back) is reported as a MINOR ``coverage.not_measured``
(never silently passed). The data is written by the verify run, which runs the agent's code: it is a
hint that code is untested, not proof that it is tested. The measurement is
:mod:`workorder.evidence.coverage_probe`'s; this module judges it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..contracts.packet import Finding, Severity
from ..templates import active
from .rules import GateSpec, Rule

if TYPE_CHECKING:
    from .context import GateContext

MAX_RANGES = 30


def ranges(lines: list[int]) -> list[str]:
    """``[3, 4, 5, 9]`` -> ``["3-5", "9"]``."""
    found: list[list[int]] = []
    for n in sorted(lines):
        if found and n == found[-1][1] + 1:
            found[-1][1] = n
        else:
            found.append([n, n])
    return [f"{a}-{b}" if a != b else str(a) for a, b in found]


# MAJOR below diff_coverage.min_percent, else lowered to a MINOR note (a hint, never proof)
CHANGED_LINES = Rule("coverage.changed_lines", Severity.MAJOR, "added lines that never ran under verify",
                     anchor="diff-coverage", also=(Severity.MINOR,))
NOT_MEASURED = Rule("coverage.not_measured", Severity.MINOR, "changed code in a language diff coverage does not measure",
                    anchor="diff-coverage")


def gate_diff_coverage(ctx: GateContext) -> list[Finding]:
    """``coverage.changed_lines`` naming the path:line ranges of changed executable lines that never
    ran under the verify commands: MAJOR when fewer than ``diff_coverage.min_percent`` ran, else MINOR;
    ``coverage.not_measured`` for changed code nothing measured. Nothing without a measurement."""
    measured = ctx.diff_coverage
    if measured is None:
        return []
    findings = []
    if measured.measured and measured.missed:
        below = measured.percent < ctx.config.diff_coverage.min_percent
        where = [f"{path}:{r}" for path, lines in measured.missed.items() for r in ranges(lines)]
        first = next(iter(measured.missed.items()))
        findings.append(CHANGED_LINES.finding(
            severity=None if below else Severity.MINOR, path=first[0], line=first[1][0],
            message=active().render_line("diff_coverage.txt.j2", part="message", percent=measured.percent,
                                      minimum=ctx.config.diff_coverage.min_percent,
                                      count=sum(len(v) for v in measured.missed.values())),
            evidence=active().render("diff_coverage.txt.j2", part="evidence", where=where[:MAX_RANGES],
                                  more=max(0, len(where) - MAX_RANGES)).strip()))
    if measured.not_measured:
        findings.append(NOT_MEASURED.finding(
            message=active().render_line("diff_coverage.txt.j2", part="not_measured", paths=measured.not_measured[:10])))
    return findings


GATE = GateSpec("diff_coverage", gate_diff_coverage, (CHANGED_LINES, NOT_MEASURED), order=120)
