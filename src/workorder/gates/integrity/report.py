"""Builds the findings of the test-integrity gates: rule id, severity, message from a template, evidence."""

from __future__ import annotations

from functools import lru_cache

from ...contracts.packet import Finding, Severity
from ...templates import Templates

# rule id -> severity. BLOCKER: the change removes, skips or weakens tests, or hides a failing exit status
# (the verify run can no longer be trusted). MAJOR: the change is suspicious but can be honest, so a person
# or a fix cycle must look (config, swallowed errors, looser bars, suppressions, special cases, empty bodies).
RULES: dict[str, Severity] = {
    "tests.removed": Severity.BLOCKER,
    "tests.skip_added": Severity.BLOCKER,
    "tests.assert_weakened": Severity.BLOCKER,
    "verify.masked": Severity.BLOCKER,
    "verify.config_changed": Severity.MAJOR,
    "code.exception_swallowed": Severity.MAJOR,
    "quality.threshold_lowered": Severity.MAJOR,
    "quality.suppression_added": Severity.MAJOR,
    "code.special_cased": Severity.MAJOR,
    "code.empty_body": Severity.MAJOR,
}


@lru_cache(maxsize=1)
def _templates() -> Templates:
    return Templates()


def finding(rule: str, kind: str, path: str | None, line: int | None, evidence: str, **facts: object) -> Finding:
    """A :class:`Finding` for ``rule`` (severity from :data:`RULES`), its message rendered from
    ``integrity_finding.txt.j2`` with ``kind`` and ``facts``; ``evidence`` is what the action saw, led by
    ``path:line``. Raises ``KeyError`` for an unknown rule (a bug)."""
    message = _templates().render_line("integrity_finding.txt.j2", kind=kind, path=path, **facts)
    text = f"{path}:{line}: {evidence.strip()}" if path and line else evidence.strip()
    return Finding(severity=RULES[rule], rule=rule, message=message, path=path, line=line, evidence=text[:600])
