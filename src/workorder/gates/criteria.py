"""Evidence per done_when criterion: the DoD packet maps each criterion to evidence, the action checks it.

The packet's ``evidence`` entries (:class:`workorder.contracts.packet.CriterionEvidence`) name a criterion by
its number (``1`` = the first done_when item, ``#1`` too) or its text, and one piece of evidence:

* ``test``: a test id (pytest node id, test file, or dotted unittest id) that the action's own verify
  run ran and that passed there (its per-test results, :mod:`workorder.evidence.testresults`);
* ``command``: a verify command the action ran that exited 0;
* ``path``: ``path:line`` or ``path:start-end`` covering a line the diff adds.

Every criterion needs at least one entry (else MAJOR ``evidence.unmapped``) and every entry must be
backed by the action's evidence (else MAJOR ``evidence.unproven``). The review shows the table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..contracts.packet import CriterionEvidence, EvidenceRow, Finding, Severity
from ..templates import active
from .fail_to_pass_proof import proof_detail
from .rules import GateSpec, Rule

if TYPE_CHECKING:
    from .context import GateContext

MAX_ROWS = 40  # rows of the review's evidence table
MAX_CELL = 200  # characters of a criterion or ref in the table
MAX_LISTED = 10  # unproven entries listed in one finding
_NUMBER = re.compile(r"^#?(\d+)$")
_NUMBERED = re.compile(r"^#?(\d+)[.):]\s+")
_PATH_LINE = re.compile(r"^(?P<path>.+?):(?P<start>\d+)(?:-(?P<end>\d+))?$")


def names_criterion(given: str, number: int, text: str) -> bool:
    """True when ``given`` (a packet entry's criterion) names done_when item ``number`` (1-based) with
    ``text``: its number (``1``, ``#1``), or its text ignoring case, spacing, a trailing full stop and
    a leading ``1.`` / ``1)``."""
    given = given.strip()
    number_only = _NUMBER.match(given)
    if number_only:
        return int(number_only.group(1)) == number
    return _plain(_NUMBERED.sub("", given)) == _plain(text)


def _plain(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".")


def check_entry(entry: CriterionEvidence, ctx: GateContext) -> tuple[bool, str]:
    """Whether the action's own evidence in ``ctx`` backs ``entry``, and what it saw (one line)."""
    if entry.kind == "test":
        return _check_test(entry.ref, ctx)
    if entry.kind == "command":
        return _check_command(entry.ref, ctx)
    return _check_path(entry.ref, ctx)


def _say(detail: str, **context: object) -> str:
    return active().render_line("evidence_detail.txt.j2", detail=detail, **context)


def _check_test(ref: str, ctx: GateContext) -> tuple[bool, str]:
    results = ctx.test_results
    if results is None or not results.cases:
        return False, _say("no_test_results")
    matches = results.matching(ref)
    if not matches:
        return False, _say("test_not_run", ran=len(results.cases))
    bad = [case for case in matches if case.outcome != "passed"]
    if bad:
        return False, _say("test_not_passed", case=bad[0], more=len(bad) - 1)
    return True, _say("test_passed", count=len(matches))


def _check_command(ref: str, ctx: GateContext) -> tuple[bool, str]:
    wanted = " ".join(ref.split())
    run = next((r for r in ctx.verify_runs if " ".join(r.cmd.split()) == wanted), None)
    if run is None:
        return False, _say("command_not_run", commands=[r.cmd for r in ctx.verify_runs])
    if not run.passed:
        return False, _say("command_failed", run=run)
    return True, _say("command_passed")


def _check_path(ref: str, ctx: GateContext) -> tuple[bool, str]:
    match = _PATH_LINE.match(ref.strip())
    if match is None:
        return False, _say("path_without_line")
    path = match["path"].replace("\\", "/").removeprefix("./")
    start = int(match["start"])
    end = int(match["end"] or start)
    added = [a for a in ctx.diff.added_lines if a.path == path and start <= a.line <= end]
    if not added:
        return False, _say("path_not_added", path=path)
    return True, _say("path_added", line=added[0])


def evidence_table(ctx: GateContext) -> list[EvidenceRow]:
    """The review's table (kept in the hidden state, so bounded): the first MAX_ROWS rows of
    :func:`check_rows`, criterion and ref cut to MAX_CELL characters."""
    return [row.model_copy(update={"criterion": _cut(row.criterion), "ref": _cut(row.ref) if row.ref else None})
            for row in check_rows(ctx)[:MAX_ROWS]]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def check_rows(ctx: GateContext) -> list[EvidenceRow]:
    """For each done_when criterion of ``ctx.work_order`` one row per evidence entry the packet gives
    it (checked), or one unverified row when it gives none. Empty when the packet is not a runner's
    ``done`` packet (the action built it, or the runner stopped). A verified entry's detail adds its
    FAIL_TO_PASS proof (:func:`workorder.gates.fail_to_pass_proof.proof_detail`)."""
    packet = ctx.packet
    if packet.reported_by != "runner" or packet.status != "done":
        return []
    rows = []
    for number, criterion in enumerate(ctx.work_order.done_when, start=1):
        entries = [e for e in packet.evidence if names_criterion(e.criterion, number, criterion)]
        if not entries:
            rows.append(EvidenceRow(number=number, criterion=criterion, verified=False, detail=_say("unmapped")))
        for entry in entries:
            verified, detail = check_entry(entry, ctx)
            proof = proof_detail(entry.kind, entry.ref, ctx) if verified else None
            detail = f"{detail}; {proof}" if proof else detail
            rows.append(EvidenceRow(number=number, criterion=criterion, kind=entry.kind, ref=entry.ref,
                                    verified=verified, detail=detail))
    return rows


UNMAPPED = Rule("evidence.unmapped", Severity.MAJOR, "a done_when criterion has no entry in the DoD packet's evidence")
UNPROVEN = Rule("evidence.unproven", Severity.MAJOR, "an evidence entry the action's own run does not back")
_RULES = {rule.id: rule for rule in (UNMAPPED, UNPROVEN)}


def gate_evidence(ctx: GateContext) -> list[Finding]:
    """MAJOR ``evidence.unmapped`` for each done_when criterion the DoD packet gives no evidence for;
    MAJOR ``evidence.unproven`` for each criterion with evidence the action's own run does not back
    (evidence: each such entry and what the action saw)."""
    rows = check_rows(ctx)
    criteria = list(enumerate(ctx.work_order.done_when, start=1))
    unknown = [e.criterion for e in ctx.packet.evidence if not any(names_criterion(e.criterion, n, t) for n, t in criteria)]
    findings = []
    for number in sorted({row.number for row in rows}):
        mine = [row for row in rows if row.number == number]
        if mine[0].kind is None:
            rule, failing = "evidence.unmapped", mine
        else:
            rule, failing = "evidence.unproven", [row for row in mine if not row.verified]
        if not failing:
            continue
        findings.append(_RULES[rule].finding(
            message=active().render_line("evidence_finding.txt.j2", part="message", rule=rule, row=mine[0]),
            evidence=active().render("evidence_finding.txt.j2", part="evidence", rule=rule, row=mine[0], rows=failing[:MAX_LISTED],
                                  unknown=unknown[:5]).strip()))
    return findings


GATE = GateSpec("evidence", gate_evidence, (UNMAPPED, UNPROVEN), order=100)
