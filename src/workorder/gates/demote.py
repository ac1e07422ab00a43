"""Pattern findings that the behavioural checks contradict become MINOR notes (issue 19, item 5).

The pattern gates are hints; the verdict rests on behaviour the action observed. Two hints have a
behavioural check that answers the same question:

* ``tests.assert_weakened`` says a test may have been loosened until it passes. When the base-source run
  shows that very test failing (or erroring) on the base source while it passes on the head (FAIL_TO_PASS,
  :mod:`workorder.gates.fail_to_pass_proof`), it still tells the change apart: MINOR. (The base version's
  lost assertions are not re-run on the head: a hint remains, as a note.)
* ``code.special_cased`` says code returns a fixed value for an input a visible test uses. When held-out
  acceptance tests the agent never saw ran and all passed (:mod:`workorder.gates.heldout`), the behaviour
  holds beyond the visible inputs: MINOR.

The finding keeps its rule, place and evidence; its message says why it is only a note.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..contracts.packet import Finding, Severity
from ..templates import active

if TYPE_CHECKING:
    from .context import GateContext


def demote_contradicted(findings: list[Finding], ctx: GateContext) -> list[Finding]:
    """``findings`` with each BLOCKER/MAJOR pattern finding the behavioural checks of ``ctx`` contradict
    made MINOR (see the module docstring), in the same order. Never raises for a file it cannot parse."""
    heldout_passed = _heldout_passed(ctx)
    out = []
    for f in findings:
        reason = None
        if f.severity != Severity.MINOR and f.source == "gate":
            if f.rule == "tests.assert_weakened" and _fail_to_pass(f, ctx):
                reason = "fail_to_pass"
            elif f.rule == "code.special_cased" and heldout_passed:
                reason = "heldout"
        if reason is None:
            out.append(f)
            continue
        note = active().render_line("demoted.txt.j2", reason=reason, message=f.message)
        out.append(f.model_copy(update={"severity": Severity.MINOR, "message": note}))
    return out


def _heldout_passed(ctx: GateContext) -> bool:
    cases = ctx.heldout.cases() if ctx.heldout is not None else []
    return bool(cases) and all(c.outcome == "passed" for c in cases)


def _fail_to_pass(finding: Finding, ctx: GateContext) -> bool:
    """True when the test around ``finding``'s path:line passed on the head and failed, errored or was
    not collected on the base source (the base-source run's results; none: False)."""
    base, now = ctx.base_source_results, ctx.test_results
    test = _test_at(ctx, finding.path, finding.line) if finding.path and finding.line else None
    if base is None or now is None or test is None:
        return False
    mine = lambda case: case.id == test or case.id.startswith((test + "[", test + "."))  # noqa: E731
    passed = [c for c in now.cases if mine(c)]
    before = {c.id: c.outcome for c in base.cases if mine(c)}
    return bool(passed) and all(c.outcome == "passed" for c in passed) and all(
        before.get(c.id) in (None, "failed", "error") for c in passed) and any(
        before.get(c.id) != "passed" for c in passed)


def _test_at(ctx: GateContext, path: str, line: int) -> str | None:
    """The dotted id (``tests.test_x.TestY.test_z``) of the test function around ``line`` of ``path``
    in the work tree, or None."""
    try:
        tree = ast.parse((ctx.worktree / path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    found: list[str] = []

    def visit(node: ast.AST, names: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                if child.lineno <= line <= (child.end_lineno or child.lineno):
                    found[:] = [*names, child.name]
                    visit(child, [*names, child.name])

    visit(tree, [])
    if not found or not found[-1].startswith("test"):
        return None
    return ".".join([path[:-3].replace("/", "."), *found])
