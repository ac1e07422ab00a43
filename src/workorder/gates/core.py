"""The deterministic PO gates. Each gate is a small function: evidence in, findings out.

Evidence is what the action itself gathered: the real diff, the verify commands it ran, the files in
the work tree. The DoD packet is only ever compared against that evidence.
"""

from __future__ import annotations

import re

from ..contracts.packet import Finding, Severity
from ..inputs.globs import compile_globs
from .context import GateContext, finding_text
from .deps import DEPS_RULES, gate_dependency_register
from .rules import GateSpec, Rule


def _last_lines(text: str, count: int = 15) -> str:
    return "\n".join(text.rstrip().splitlines()[-count:])


PROTECTED = Rule("scope.protected", Severity.BLOCKER, "a changed path matches protected_paths")
EXCLUDED = Rule("scope.excluded", Severity.BLOCKER, "a changed path matches the work order's out_of_scope")
OUTSIDE = Rule("scope.outside", Severity.BLOCKER, "a changed path is outside in_scope")
_SCOPE = {rule.id: rule for rule in (PROTECTED, EXCLUDED, OUTSIDE)}


def gate_scope(ctx: GateContext) -> list[Finding]:
    """BLOCKER for each touched path that is protected (scope.protected), inside out_of_scope
    (scope.excluded), or outside in_scope (scope.outside). One finding per path, the strictest."""
    protected = compile_globs(ctx.config.protected)
    excluded = compile_globs(ctx.work_order.out_of_scope)
    allowed = compile_globs(ctx.work_order.in_scope)
    findings = [
        PROTECTED.finding(finding_text("scope_reverted", path=path), path=path)
        for path in ctx.reverted
    ]
    for path in ctx.diff.touched_paths:
        if protected.match_file(path):
            rule = "scope.protected"
        elif excluded.match_file(path):
            rule = "scope.excluded"
        elif not allowed.match_file(path):
            rule = "scope.outside"
        else:
            continue
        message = finding_text(rule.replace(".", "_"), path=path)
        findings.append(_SCOPE[rule].finding(message, path=path))
    return findings


VERIFY_FAILED = Rule("verify.failed", Severity.BLOCKER, "a verify command exited non-zero or timed out")


def gate_verify(ctx: GateContext) -> list[Finding]:
    """BLOCKER (verify.failed) for each verify command that exited non-zero or timed out, when the
    action ran it; the evidence is the end of its output."""
    findings = []
    for run in ctx.verify_runs:
        if run.passed:
            continue
        findings.append(VERIFY_FAILED.finding(
            finding_text("verify_failed", cmd=run.cmd, timed_out=run.timed_out, exit_code=run.exit_code),
            evidence=_last_lines(run.output_tail)))
    return findings


DEPS_MANIFEST = Rule("deps.manifest", Severity.BLOCKER,
                     "a dependency manifest or lock file changed without allow_dependencies")


def gate_dependencies(ctx: GateContext) -> list[Finding]:
    """BLOCKER (deps.manifest) for each changed dependency manifest or lock file, unless the work
    order sets allow_dependencies; then, when the config names a dependency register, the register's
    per-package findings (deps.unregistered, deps.waiver_expired: :mod:`.deps`), allowed or not."""
    register = gate_dependency_register(ctx)
    if ctx.work_order.allow_dependencies:
        return register
    manifests = compile_globs(ctx.config.dependency_manifests)
    return [
        DEPS_MANIFEST.finding(finding_text("dependency_manifest", path=path), path=path)
        for path in ctx.diff.touched_paths
        if manifests.match_file(path)
    ] + register


EMPTY_DIFF = Rule("diff.empty", Severity.BLOCKER, "the runner said done but the branch changes nothing")


def gate_empty_diff(ctx: GateContext) -> list[Finding]:
    """BLOCKER (diff.empty) when the runner reports done but the branch changes nothing."""
    if ctx.packet.status == "done" and ctx.diff.is_empty:
        return [EMPTY_DIFF.finding(finding_text("empty_diff"))]
    return []


PLACEHOLDER = Rule("placeholder", Severity.MAJOR, "an added line matches a placeholder pattern")


def gate_placeholders(ctx: GateContext) -> list[Finding]:
    """MAJOR (placeholder) for each added line matching a configured placeholder pattern, at path:line."""
    rules = [(p.name, re.compile(p.regex), compile_globs(p.paths)) for p in ctx.config.placeholder_patterns]
    findings = []
    for added in ctx.diff.added_lines:
        for name, regex, paths in rules:
            if paths.match_file(added.path) and regex.search(added.text):
                findings.append(PLACEHOLDER.finding(finding_text("placeholder", pattern=name), path=added.path,
                                                    line=added.line, evidence=added.text.strip()[:200]))
                break
    return findings


def _normalise_path(path: str) -> str:
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def _normalise_cmd(cmd: str) -> str:
    return " ".join(cmd.split())


DOD_FILES = Rule("dod.files", Severity.MAJOR, "files claimed but not changed, or changed but not claimed")
DOD_COMMANDS = Rule("dod.commands", Severity.MAJOR, "the packet claims a command passed that failed when the action ran it")
DOD_TESTS = Rule("dod.tests", Severity.MAJOR, "the packet claims a test file that does not exist")


def gate_dod_claims(ctx: GateContext) -> list[Finding]:
    """MAJOR when the DoD packet disagrees with the evidence: files claimed but not changed or changed
    but not claimed (dod.files); a command claimed to pass that failed when the action ran it
    (dod.commands); a test file claimed as run that does not exist (dod.tests)."""
    findings = []
    touched = set(ctx.diff.touched_paths)
    claimed = {_normalise_path(p) for p in ctx.packet.files_changed if p.strip()} - set(ctx.reverted)
    mismatches = [(p, "dod_file_untouched") for p in sorted(claimed - touched)]
    mismatches += [(p, "dod_file_unlisted") for p in sorted(touched - claimed)]
    for path, kind in mismatches:
        findings.append(DOD_FILES.finding(finding_text(kind, path=path), path=path))
    claims = {_normalise_cmd(c.cmd): c.exit_code for c in ctx.packet.commands_run}
    for run in ctx.verify_runs:
        claimed_exit = claims.get(_normalise_cmd(run.cmd))
        if claimed_exit == 0 and not run.passed:
            findings.append(DOD_COMMANDS.finding(
                finding_text("dod_command", cmd=run.cmd, timed_out=run.timed_out, exit_code=run.exit_code),
                evidence=_last_lines(run.output_tail, 5)))
    for test in ctx.packet.tests_run:
        path = _normalise_path(test.split("::", 1)[0])
        looks_like_file = "/" in path or path.endswith((".py", ".js", ".ts", ".go", ".rs", ".rb", ".java"))
        if looks_like_file and " " not in path and not (ctx.worktree / path).is_file():
            findings.append(DOD_TESTS.finding(finding_text("dod_tests", path=path), path=path))
    return findings


ACTION_PACKET = Rule("dod.reported_by_action", Severity.MAJOR,
                     "the agent handed back no DoD packet; the action built one from the diff")


def gate_action_packet(ctx: GateContext) -> list[Finding]:
    """MAJOR (dod.reported_by_action) when the agent handed back no DoD packet and the action built
    one from the diff, unless the config accepts that (``accept_action_packet``)."""
    if ctx.packet.reported_by != "action" or ctx.config.accept_action_packet:
        return []
    return [ACTION_PACKET.finding(finding_text("action_packet"))]


TESTS_MISSING = Rule("tests.missing", Severity.MINOR, "risk is medium and no test file changed")


def gate_tests_changed(ctx: GateContext) -> list[Finding]:
    """MINOR (tests.missing) when risk is medium and no test file changed (high: risk.tests_required, MAJOR)."""
    if ctx.work_order.risk != "medium":
        return []
    tests = compile_globs(ctx.config.test_patterns)
    if any(tests.match_file(p) for p in ctx.diff.touched_paths):
        return []
    return [TESTS_MISSING.finding(finding_text("tests_missing", risk=ctx.work_order.risk))]


# The registry's entries of this module (:mod:`.registry`); ``order`` is the place in the report.
GATE_SPECS = (
    GateSpec("scope", gate_scope, (PROTECTED, EXCLUDED, OUTSIDE), order=10),
    GateSpec("verify", gate_verify, (VERIFY_FAILED,), order=20),
    GateSpec("dependencies", gate_dependencies, (DEPS_MANIFEST, *DEPS_RULES), order=60),
    GateSpec("empty_diff", gate_empty_diff, (EMPTY_DIFF,), order=70, judges_packet=True),
    GateSpec("placeholders", gate_placeholders, (PLACEHOLDER,), order=80),
    GateSpec("dod_claims", gate_dod_claims, (DOD_FILES, DOD_COMMANDS, DOD_TESTS), order=90, judges_packet=True),
    GateSpec("action_packet", gate_action_packet, (ACTION_PACKET,), order=130, judges_packet=True),
    GateSpec("tests_changed", gate_tests_changed, (TESTS_MISSING,), order=140),
)
