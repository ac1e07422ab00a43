"""The vulnerability lookup's gate (config ``dependency_audit``): each advisory a maintained tool reports for a
package the change adds or re-versions is a MAJOR ``deps.vulnerable`` finding naming the package, version and
advisory id; a lookup that could not run or could not check some packages is a MINOR ``deps.audit_failed``,
never a silent pass. The lookup runs in :mod:`workorder.loop.dep_audit`."""

from __future__ import annotations

from ..contracts.packet import Finding, Severity
from .context import GateContext, finding_text
from .rules import GateSpec, Rule

__all__ = ["GATE", "gate_dependency_audit"]

VULNERABLE = Rule("deps.vulnerable", Severity.MAJOR, "a package the change adds or re-versions has a known "
                  "vulnerability (dependency_audit)", "the-dependency-register")
AUDIT_FAILED = Rule("deps.audit_failed", Severity.MINOR, "the vulnerability lookup could not run or skipped "
                    "packages", "the-dependency-register")


def gate_dependency_audit(ctx: GateContext) -> list[Finding]:
    """MAJOR ``deps.vulnerable`` per advisory of ``ctx.dep_audit``, MINOR ``deps.audit_failed`` when the tool
    failed or packages were not checked (no pinned version, or the tool skipped them); nothing without a lookup."""
    audit = ctx.dep_audit
    if audit is None:
        return []
    findings = [VULNERABLE.finding(finding_text("deps_vulnerable", tool=audit.tool, package=a.package, version=a.version,
                                             advisory=a.id, aliases=a.aliases, fixed=a.fix_versions))
                for a in audit.advisories]
    if audit.error or audit.skipped:
        findings.append(AUDIT_FAILED.finding(finding_text("deps_audit_failed", tool=audit.tool, error=audit.error,
                                                          skipped=audit.skipped[:20])))
    return findings


GATE = GateSpec("dependency_audit", gate_dependency_audit, (VULNERABLE, AUDIT_FAILED), order=65)
