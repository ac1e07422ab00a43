"""One writer: the verdict's commit status is set in one module (workorder.loop.verdict_status), and the
handlers never call a forge write method themselves: they queue writes on the run's Outbox.

Both are ast walks over src/workorder; each has a control that shows the walk finds the call it forbids."""

from __future__ import annotations

import ast
from pathlib import Path

import workorder

SRC = Path(workorder.__file__).parent
WRITES = {"create_comment", "edit_comment", "add_label", "remove_label", "add_reaction", "create_issue",
          "edit_issue_body", "delete_branch", "set_commit_status"}
# The forge itself (github/), the Outbox (the one writer of handler writes), and forge wrappers (a method
# of the same name forwarding to the forge it wraps: the local forge, the masking forge) may call them.
FORGE_SIDE = ("github/", "loop/outbox.py")
# Handler modules the "commands" helper of #16 converts on its branch (slash-commands); until that merge
# they still write directly. Every other handler module is held to the rule.
COMMANDS_OWNED: set[str] = set()  # the command handlers write through the Outbox too


def calls(tree: ast.AST, names: set[str]) -> list[tuple[str, int]]:
    """(method, line) of every ``x.<method>(...)`` call in ``tree`` with a method in ``names``, except inside
    a function of that same name (a forge wrapper forwarding the call)."""
    found = []

    def visit(node: ast.AST, inside: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else inside
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr in names and child.func.attr != inside):
                found.append((child.func.attr, child.lineno))
            visit(child, name)
    visit(tree, None)
    return found


def modules(under: str = "") -> dict[str, ast.AST]:
    """Relative path -> parsed module for every source file of src/workorder (under ``under``)."""
    return {p.relative_to(SRC).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted((SRC / under).rglob("*.py"))}


def status_writers() -> set[str]:
    return {path for path, tree in modules().items()
            if not path.startswith(FORGE_SIDE) and calls(tree, {"set_commit_status"})}


def test_one_module_sets_the_verdict_status():
    assert status_writers() - COMMANDS_OWNED == {"loop/verdict_status.py"}


def test_no_module_builds_a_status_write_around_the_one_writer():
    """The Outbox's SetStatus would reach set_commit_status through loop/outbox.py: only verdict_status may
    build one."""
    builders = {path for path, tree in modules().items()
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "SetStatus"}
    assert builders <= {"loop/verdict_status.py"}


def test_control_the_walk_finds_a_direct_status_write():
    tree = ast.parse("def publish(forge):\n    forge.set_commit_status('a', 'success', 'c', 'd', None)\n"
                     "class Wrapper:\n    def set_commit_status(self, *a):\n        self.forge.set_commit_status(*a)\n")
    assert calls(tree, {"set_commit_status"}) == [("set_commit_status", 2)]


def handler_writes() -> dict[str, list[tuple[str, int]]]:
    found = {path: calls(tree, WRITES) for path, tree in modules("handlers").items()}
    return {path: hits for path, hits in found.items() if hits}


def test_handlers_never_call_a_forge_write_method():
    allowed: set[str] = set()  # keep empty: a handler returns or queues writes on ctx.outbox
    direct = {path: hits for path, hits in handler_writes().items() if path not in COMMANDS_OWNED | allowed}
    assert direct == {}


def test_control_the_walk_finds_a_handler_write():
    tree = ast.parse("def handle(ctx):\n    ctx.forge.add_label(1, 'wo:ready')\n    ctx.outbox.queue(1)\n")
    assert calls(tree, WRITES) == [("add_label", 2)]


def test_the_loop_writes_only_through_its_writers():
    """The loop decides; the publisher, the tracker, the verdict status and the Outbox write."""
    writers = {"loop/outbox.py", "loop/publisher.py", "loop/tracking.py", "loop/verdict_status.py"}
    direct = {path for path, tree in modules("loop").items() if path not in writers and calls(tree, WRITES)}
    assert direct == set()
