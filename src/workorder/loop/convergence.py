"""Non-converging loops: a fix cycle that repeats the previous cycle's findings stops early.

A finding's *key* is ``(rule, path, line)``. After each FAIL verdict the loop keeps the keys of that
cycle's failing findings in the hidden state (``TrackingState.last_finding_keys``), so a resumed run
still knows them. The next FAIL verdict *repeats* the previous one when both hold the same failing
findings, compared as sets of keys; when lines moved (an edit above a finding shifts it) the line is
not stable, so the keys also match when each ``(rule, path)`` occurs the same number of times.

Only BLOCKER and MAJOR findings count. MINOR findings never fail a verdict, so the loop never runs
another cycle for them: a cycle that only fixed or added MINOR findings made no progress on what keeps
the verdict FAIL, and one that changed its failing findings did, whatever happened to the MINOR ones.

A repeat with cycles left stops the loop as ``blocked`` with the handoff reason ``not_converging`` and
a BLOCKER ``loop.not_converging`` whose evidence lists the repeated findings. At the cap the usual
``cap`` handoff is given instead (there is nothing left to save).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from ..contracts.packet import Finding, Severity, Verdict
from .state import Handoff
from ..templates import Templates
from ..gates.rules import Rule

FindingKey = tuple[str, str | None, int | None]
"""(rule, path, line) of a finding; path and line are None when the finding has none."""

RULE = "loop.not_converging"
# the loop's own rule (not a gate): a fix cycle repeats the previous cycle's failing findings
NOT_CONVERGING = Rule(RULE, Severity.BLOCKER, "a fix cycle's BLOCKER/MAJOR findings repeat the previous cycle's")
REASON = "not_converging"
FAILING = (Severity.BLOCKER, Severity.MAJOR)


def finding_keys(findings: Iterable[Finding]) -> list[FindingKey]:
    """The sorted, distinct keys ``(rule, path, line)`` of the BLOCKER and MAJOR ``findings``."""
    keys = {(f.rule, f.path, f.line) for f in findings if f.severity in FAILING}
    return sorted(keys, key=lambda k: (k[0], k[1] or "", k[2] or 0))


def repeats(previous: Sequence[FindingKey], current: Sequence[FindingKey]) -> bool:
    """True when ``current`` repeats ``previous`` (both lists of :func:`finding_keys`): neither is
    empty, and they are the same set of keys, or the same once lines are ignored with each
    ``(rule, path)`` occurring equally often (findings that only moved)."""
    prev, cur = {tuple(k) for k in previous}, {tuple(k) for k in current}
    if not prev or not cur:
        return False
    if prev == cur:
        return True
    return Counter((k[0], k[1]) for k in prev) == Counter((k[0], k[1]) for k in cur)


def converge(previous: Sequence[FindingKey], verdict: Verdict, cycles_left: bool,
             templates: Templates) -> tuple[list[FindingKey], Finding | None]:
    """Check a cycle's ``verdict`` against the ``previous`` cycle's keys.

    ``cycles_left``: whether the cap allows another cycle. Returns ``(keys, finding)``: the keys to
    keep for the next cycle (empty after a PASS), and the BLOCKER ``loop.not_converging`` (its evidence
    names each repeated finding, one a line, ``SEVERITY rule path:line``) when the verdict is FAIL,
    repeats ``previous`` and cycles are left; else None. Never raises for valid input.
    """
    if verdict.verdict == "PASS":
        return [], None
    keys = finding_keys(verdict.findings)
    if not cycles_left or not repeats(previous, keys):
        return keys, None
    repeated = [f for f in verdict.findings if f.severity in FAILING]
    finding = NOT_CONVERGING.finding(
        message=templates.render_line("not_converging.txt.j2", part="message", findings=repeated),
        evidence=templates.render("not_converging.txt.j2", part="evidence", findings=repeated).strip(),
    )
    return keys, finding


def handoff_with(handoff: Handoff, finding: Finding | None) -> Handoff:
    """``handoff`` with ``finding`` (the ``loop.not_converging`` finding) first among its pending
    findings; ``handoff`` itself when ``finding`` is None."""
    if finding is None:
        return handoff
    return handoff.model_copy(update={"pending": [finding, *handoff.pending]})
