"""Builds the findings of the test-integrity gates: rule id, severity, message from a template, evidence."""

from __future__ import annotations


from ...contracts.packet import Finding, Severity
from ...templates import Templates, active
from ..rules import Rule

# The test-integrity gate's rules. BLOCKER: the change removes, skips or weakens tests, or hides a failing exit status
# (the verify run can no longer be trusted). MAJOR: the change is suspicious but can be honest, so a person
# or a fix cycle must look (config, swallowed errors, looser bars, suppressions, special cases, empty bodies).
INTEGRITY_RULES: tuple[Rule, ...] = (
    Rule("tests.removed", Severity.BLOCKER, "a test on the base has no continuation on the head"),
    Rule("tests.skip_added", Severity.BLOCKER, "a skip or xfail was added"),
    Rule("tests.assert_weakened", Severity.BLOCKER, "a continued test makes fewer or weaker assertions"),
    Rule("verify.masked", Severity.BLOCKER, "an added line or the verify run hides a failing exit status"),
    Rule("verify.config_changed", Severity.MAJOR, "a file that changes how verify runs changed, unnamed by the order"),
    Rule("code.exception_swallowed", Severity.MAJOR, "an added handler swallows every exception"),
    Rule("quality.threshold_lowered", Severity.MAJOR, "a coverage bar lowered or a lint bar raised"),
    Rule("quality.suppression_added", Severity.MAJOR, "more noqa/type: ignore/eslint-disable markers than on the base"),
    Rule("code.special_cased", Severity.MAJOR, "an added branch returns a constant for a literal a test uses"),
    Rule("code.empty_body", Severity.MAJOR, "a function's body became pass, ... or only a docstring"),
)
_BY_ID = {rule.id: rule for rule in INTEGRITY_RULES}
RULES: dict[str, Severity] = {rule.id: rule.severity for rule in INTEGRITY_RULES}  # rule id -> severity


def _templates() -> Templates:
    """The run's templates, with the repository's overrides (:func:`workorder.templates.active`)."""
    return active()


def finding(rule: str, kind: str, path: str | None, line: int | None, evidence: str, **facts: object) -> Finding:
    """A :class:`Finding` for ``rule`` (one of :data:`INTEGRITY_RULES`, its severity), its message rendered from
    ``integrity_finding.txt.j2`` with ``kind`` and ``facts``; ``evidence`` is what the action saw, led by
    ``path:line``. Raises ``KeyError`` for an unknown rule (a bug)."""
    message = _templates().render_line("integrity_finding.txt.j2", kind=kind, path=path, **facts)
    text = f"{path}:{line}: {evidence.strip()}" if path and line else evidence.strip()
    return _BY_ID[rule].finding(message, path=path, line=line, evidence=text[:600])
