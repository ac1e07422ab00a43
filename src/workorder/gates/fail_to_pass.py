"""FAIL_TO_PASS: evidence is a test that tells the change apart.

The action runs the verify commands a second time, in a detached work tree at the base commit with the
head's test files put in (every file the config's ``test_patterns`` match, and every ``conftest.py``,
taken from the head; everything else from the base) — "the base source under the head's tests", the
way SWE-bench judges a patch. The results are kept in the run records
(``<runs>/<issue>/f2p-<base>-<digest>/results.json``, the digest covering the commands and the head's
test files), so a cycle that does not change the tests does not run them again. The run is
:mod:`workorder.loop.base_source_run`'s; this module judges its results.

A test named as evidence *discriminates* when it passes on the head and fails, errors or cannot be
collected on the base source. A done_when criterion that is *behaviour* (see :func:`needs_test`) is
proven only by such a test: a test that passes on both is ``evidence.not_discriminating`` (MAJOR;
BLOCKER when no evidence of the criterion discriminates), a criterion backed only by a path:line is
``evidence.untested`` (MAJOR). A cited verify command counts as the tests it runs: it discriminates when
one of them fails on the base source (weaker than naming that test; a command that passes on the base
source too proves nothing). Every untagged criterion is behaviour by default (``test_required`` holds
every risk tier): a submission whose tests pass on the base source as well as on the head cannot PASS
one. Evidence by command or path:line stays allowed for other criteria; the review's table marks it as
weaker.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..contracts.packet import Finding, Severity
from ..templates import active
from .criteria import names_criterion
from .fail_to_pass_proof import proof_of
from .rules import GateSpec, Rule

if TYPE_CHECKING:
    from ..contracts.checks_config import FailToPassConfig
    from .context import GateContext

_TAG = re.compile(r"^\s*\[(?P<tag>[a-z][a-z -]*)\]", re.IGNORECASE)
TEST_TAGS = frozenset({"test", "behaviour", "behavior", "fail_to_pass"})
NO_TEST_TAGS = frozenset({"no-test", "no test", "docs", "doc", "config", "refactor"})


def needs_test(criterion: str, risk: str, config: FailToPassConfig) -> bool:
    """True when done_when ``criterion`` is behaviour that only a FAIL_TO_PASS test proves: it starts
    with a ``[test]``/``[behaviour]`` tag, or it has no ``[no-test]``/``[docs]``/``[config]`` tag and
    the work order's ``risk`` is one of ``config.test_required`` (by default every tier)."""
    match = _TAG.match(criterion)
    tag = match["tag"].strip().lower() if match else ""
    if tag in TEST_TAGS:
        return True
    if tag in NO_TEST_TAGS:
        return False
    return risk in config.test_required


# MAJOR per idle test; raised to BLOCKER when none of the criterion's cited tests or commands discriminates
NOT_DISCRIMINATING = Rule("evidence.not_discriminating", Severity.MAJOR,
                          "a test cited for a behavioural criterion passes on the base source too",
                          anchor="fail_to_pass-evidence-is-a-test-that-tells-the-change-apart", also=(Severity.BLOCKER,))
UNTESTED = Rule("evidence.untested", Severity.MAJOR, "a behavioural criterion is backed only by path:line (no test or command the action ran)",
                anchor="fail_to_pass-evidence-is-a-test-that-tells-the-change-apart")
_RULES = {rule.id: rule for rule in (NOT_DISCRIMINATING, UNTESTED)}


# -- judging --------------------------------------------------------------------------------------
def gate_fail_to_pass(ctx: GateContext) -> list[Finding]:
    """For each done_when criterion that needs a test (:func:`needs_test`): MAJOR
    ``evidence.not_discriminating`` for each test evidence entry that passes on the base source too
    when another of its tests or commands discriminates, BLOCKER when none does (then every cited test
    and command that passes on the base source is named); MAJOR ``evidence.untested`` when its evidence
    is only ``path:line``. A cited verify command discriminates when a test it runs fails on the base
    source (:func:`workorder.gates.fail_to_pass_proof.command_proof`). Nothing when the check is off or
    the packet is not a runner's ``done``."""
    packet = ctx.packet
    if not ctx.config.fail_to_pass.enabled or packet.reported_by != "runner" or packet.status != "done":
        return []
    findings = []
    for number, criterion in enumerate(ctx.work_order.done_when, start=1):
        if not needs_test(criterion, ctx.work_order.risk, ctx.config.fail_to_pass):
            continue
        entries = [e for e in packet.evidence if names_criterion(e.criterion, number, criterion)]
        if entries:  # none: evidence.unmapped
            findings += _judge(number, criterion, entries, ctx)
    return findings


def _judge(number: int, criterion: str, entries: list, ctx: GateContext) -> list[Finding]:
    """The findings of one behavioural criterion from its evidence ``entries`` (see :func:`gate_fail_to_pass`)."""
    facts = {"number": number, "criterion": criterion[:120]}
    tests = [(e.ref, proof_of(e.ref, ctx)) for e in entries if e.kind == "test"]
    commands = [(e.ref, proof_of(e.ref, ctx, "command")) for e in entries if e.kind == "command"]
    if not tests and not commands:
        return [_finding(None, "evidence.untested", facts, [e.ref for e in entries])]
    proven = any(proof == "fail_to_pass" for _, proof in [*tests, *commands])
    idle = [ref for ref, proof in tests if proof == "pass_to_pass"]
    if proven:
        return [_finding(None, "evidence.not_discriminating", facts, idle)] if idle else []
    idle += [ref for ref, proof in commands if proof == "pass_to_pass"]
    return [_finding(Severity.BLOCKER, "evidence.not_discriminating", facts, idle)] if idle else []


def _finding(severity: Severity | None, rule: str, facts: dict, refs: list[str]) -> Finding:
    return _RULES[rule].finding(severity=severity,
                   message=active().render_line("fail_to_pass.txt.j2", part="message", rule=rule, **facts),
                   evidence=active().render("fail_to_pass.txt.j2", part="evidence", rule=rule, refs=refs[:10],
                                         **facts).strip())


GATE = GateSpec("fail_to_pass", gate_fail_to_pass, (NOT_DISCRIMINATING, UNTESTED), order=110)
