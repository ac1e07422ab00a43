"""The dependency register's gate: every package a change adds or re-versions must be in the register.

The register (:mod:`workorder.contracts.depregister`) is read at the run's base commit, the default-branch
commit the work branch started from, never from the work branch (the agent cannot allow its own package).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from ..contracts.depregister import DependencyRegister, RegisterEntry, parse_register
from ..contracts.packet import Finding, Severity
from ..evidence.manifests import PackageChange, package_changes
from ..inputs.globs import compile_globs
from ..inputs.problems import InvalidInput
from ..shell.gitops import Git
from .context import GateContext, finding_text
from .rules import Rule

__all__ = ["DEPS_RULES", "gate_dependency_register", "in_range"]

# The register's rules; they belong to the dependencies gate (``workorder.gates.core``), which lists them.
UNREGISTERED = Rule("deps.unregistered", Severity.BLOCKER,
                    "a package the change adds or re-versions has no register entry whose range holds its version")
WAIVER_EXPIRED = Rule("deps.waiver_expired", Severity.BLOCKER,
                      "the only register entries that allow the package are expired waivers")
REGISTER_INVALID = Rule("deps.register_invalid", Severity.BLOCKER, "the dependency register does not parse")
DEPS_RULES = (UNREGISTERED, WAIVER_EXPIRED, REGISTER_INVALID)
_RULES = {rule.id: rule for rule in DEPS_RULES}

_VERSION = re.compile(r"\d+(?:\.\d+)*")


def in_range(spec: str, version_range: str) -> bool:
    """True when the first concrete version in a manifest's ``spec`` (``^1.2.3``, ``>=2.31``, ``v1.4.0``)
    satisfies the register's PEP 440 ``version_range`` ("*" or "" allows anything, also no version)."""
    if version_range.strip() in ("", "*"):
        return True
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # lazy: only when a range is set

    found = _VERSION.search(spec or "")
    if not found:
        return False
    try:
        return SpecifierSet(version_range).contains(found.group(0), prereleases=True)
    except InvalidSpecifier:
        return False


def _finding(rule: str, change: PackageChange, register: str, **facts: object) -> Finding:
    message = finding_text(rule.replace(".", "_"), ecosystem=change.ecosystem, package=change.name,
                           version=change.new, change=change.kind, path=change.path, register=register, **facts)
    return _RULES[rule].finding(message, path=change.path)


def _judge(change: PackageChange, entries: list[RegisterEntry], register: str, today: date) -> Finding | None:
    fitting = [e for e in entries if in_range(change.new or "", e.version)]
    if any(e.expires is None or e.expires >= today for e in fitting):
        return None
    if fitting:
        waiver = max(fitting, key=lambda e: e.expires or today)
        return _finding("deps.waiver_expired", change, register, approved_by=waiver.approved_by,
                        expires=waiver.expires.isoformat() if waiver.expires else "")
    return _finding("deps.unregistered", change, register, known=bool(entries))


def gate_dependency_register(ctx: GateContext) -> list[Finding]:
    """BLOCKER ``deps.unregistered`` for each package a changed manifest adds or re-versions that the register
    does not allow (name, ecosystem, version range), ``deps.waiver_expired`` when only an expired waiver allows
    it, ``deps.register_invalid`` when the register does not parse. Nothing when the config names no register
    or the diff was not read from git. Removed packages need no entry."""
    path = ctx.config.dependency_register
    if not path or ctx.diff.base is None:
        return []
    git = Git(ctx.worktree)
    try:
        register = parse_register(git.show_file(ctx.diff.base, path), path)
    except InvalidInput as exc:
        problem = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        return [REGISTER_INVALID.finding(finding_text("deps_register_invalid", register=path, problem=problem),
                                         path=path)]
    manifests = compile_globs(ctx.config.dependency_manifests)
    changed = [p for p in ctx.diff.touched_paths if manifests.match_file(p)]
    today = ctx.today or datetime.now(UTC).date()
    return _judge_all(package_changes(git, ctx.diff.base, ctx.diff.head, changed), register, path, today)


def _judge_all(changes: list[PackageChange], register: DependencyRegister, path: str, today: date) -> list[Finding]:
    findings = []
    for change in changes:
        if change.kind == "removed":
            continue
        finding = _judge(change, register.find(change.ecosystem, change.name), path, today)
        if finding:
            findings.append(finding)
    return findings
