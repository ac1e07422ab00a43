"""Gates on the changed code (not tests): errors swallowed (code.exception_swallowed), bodies left
empty (code.empty_body), a test's inputs special-cased (code.special_cased). Python is read with
``ast``; JS/TS catch blocks with a regular expression."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

from ...contracts.packet import Finding
from .brace import blank_comments, block_end, line_of
from .policy import JS_SUFFIXES, Policy
from .report import finding
from .sources import Source

_BROAD = {"Exception", "BaseException"}
_JS_CATCH = re.compile(r"(?:\bcatch\s*(?:\([^)]*\))?\s*|\.catch\s*\(\s*(?:\([^)]*\)|\w+)\s*=>\s*)\{")
_JS_SWALLOW_BODY = re.compile(r"^\s*(?:return\s*(?:null|undefined|false|true|-?\d+|''|\"\"|\[\]|\{\})?\s*;?)?\s*$")
_BRACE_LITERAL = r"""(?:'[^']*'|"[^"]*"|`[^`$]*`|-?\d+(?:\.\d+)?)"""
_BRACE_SPECIAL = re.compile(
    rf"""\bif\s*\(?\s*(?P<var>[\w.]+)\s*===?\s*(?P<lit>{_BRACE_LITERAL})\s*\)?\s*\{{?\s*return\s+{_BRACE_LITERAL}\s*;?\s*\}}?\s*$""")
_ABSTRACT = ("abstractmethod", "overload", "abstractproperty")


def _walk_functions(tree: ast.AST) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None, str]]:
    """Every function in ``tree`` with its enclosing class (or None) and qualified name."""
    def visit(node: ast.AST, cls: ast.ClassDef | None, prefix: str):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child, cls, prefix + child.name
                yield from visit(child, None, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, child, prefix + child.name + ".")
            else:
                yield from visit(child, cls, prefix)
    yield from visit(tree, None, "")


def _is_constant(node: ast.expr | None) -> bool:
    if node is None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(_is_constant(k) and _is_constant(v) for k, v in zip(node.keys, node.values, strict=True))
    return isinstance(node, ast.UnaryOp) and _is_constant(node.operand)


def _swallows(handler: ast.ExceptHandler) -> bool:
    broad = handler.type is None or ast.unparse(handler.type) in _BROAD or (
        isinstance(handler.type, ast.Tuple) and any(ast.unparse(e) in _BROAD for e in handler.type.elts))
    inert = all(isinstance(s, (ast.Pass, ast.Continue)) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
                or (isinstance(s, ast.Return) and _is_constant(s.value)) for s in handler.body)
    return broad and inert


def _empty(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    return not body or (len(body) == 1 and (isinstance(body[0], ast.Pass) or (
        isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and body[0].value.value is Ellipsis)))


def _parse(text: str | None) -> ast.Module | None:
    try:
        return ast.parse(text) if text is not None else None
    except (SyntaxError, ValueError, RecursionError):
        return None


def _python_swallowed(source: Source, tree: ast.Module) -> list[Finding]:
    owners: dict[int, str] = {}
    for func, _, qualname in _walk_functions(tree):  # outer functions first, so inner ones win
        owners.update((id(node), qualname) for node in ast.walk(func))
    found = []
    for node in ast.walk(tree):
        swallowing: list[ast.AST] = []
        if isinstance(node, ast.Try):
            swallowing = [h for h in node.handlers if h.lineno in source.added and _swallows(h)]
        elif isinstance(node, ast.With) and node.lineno in source.added:
            swallowing = [node] if any("suppress" in ast.unparse(i.context_expr) and any(
                b in ast.unparse(i.context_expr) for b in _BROAD) for i in node.items) else []
        for item in swallowing:
            found.append(finding("code.exception_swallowed", "exception_swallowed", source.path, item.lineno,
                                 " ".join(ast.unparse(item).split())[:200], function=owners.get(id(node))))
    return found


def _python_empty(source: Source, tree: ast.Module, base: ast.Module | None) -> list[Finding]:
    before = {q: f for f, _, q in _walk_functions(base)} if base else {}
    found = []
    for func, cls, qualname in _walk_functions(tree):
        if not _empty(func) or func.body[-1].lineno not in source.added:
            continue
        decorators = " ".join(ast.unparse(d) for d in func.decorator_list)
        abstract = any(a in decorators for a in _ABSTRACT) or source.path.endswith(".pyi")
        protocol = cls is not None and any(b in ast.unparse(base_) for base_ in cls.bases for b in ("Protocol", "ABC"))
        was_empty = qualname in before and _empty(before[qualname])
        if abstract or (protocol and qualname not in before) or was_empty:
            continue
        found.append(finding("code.empty_body", "empty_body", source.path, func.lineno,
                             ast.unparse(func).splitlines()[-1].strip(), function=qualname, body=ast.unparse(func.body[-1])))
    return found


def _literals(test: ast.expr) -> list[ast.expr] | None:
    """The literals ``test`` compares a value against (==, is, in), or None when it is another kind of test."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    literals = []
    for part in parts:
        if not (isinstance(part, ast.Compare) and all(isinstance(op, (ast.Eq, ast.Is, ast.In)) for op in part.ops)):
            return None
        sides = [part.left, *part.comparators]
        literals += [s for s in sides if _is_constant(s) and not (isinstance(s, ast.Constant) and s.value is None)]
        if all(_is_constant(s) for s in sides):
            return None
    return literals or None


def _distinctive(literals: list[ast.expr]) -> list[str]:
    """Source texts of the literals specific enough to be a test's input (not 0, 1, '', True...)."""
    texts = []
    for lit in literals:
        value = getattr(lit, "value", None)
        if isinstance(lit, ast.Constant) and (isinstance(value, bool) or value in (0, 1, -1, "")):
            continue
        if isinstance(lit, ast.Constant) and isinstance(value, int) and abs(value) < 10 and len(literals) < 2:
            continue
        texts.append(ast.unparse(lit))
    return texts


def _python_special_cased(source: Source, tree: ast.Module, policy: Policy, in_tests: Callable[[str], bool]) -> list[Finding]:
    found = []
    for func, _, qualname in _walk_functions(tree):
        for node in ast.walk(func):
            if not (isinstance(node, ast.If) and node.lineno in source.added and len(node.body) == 1
                    and isinstance(node.body[0], ast.Return) and node.body[0].value is not None
                    and _is_constant(node.body[0].value)):
                continue
            literals = _literals(node.test)
            texts = [t for t in _distinctive(literals or []) if in_tests(t) and not policy.mentions(t.strip("'\""))]
            if texts:
                found.append(finding("code.special_cased", "special_cased", source.path, node.lineno,
                                     f"if {ast.unparse(node.test)}: {ast.unparse(node.body[0])}",
                                     function=qualname, literal=", ".join(texts)))
    return found


def _js_swallowed(source: Source) -> list[Finding]:
    code = blank_comments(source.head or "")
    found = []
    for match in _JS_CATCH.finditer(code):
        line = line_of(code, match.start())
        end = block_end(code, match.end() - 1)
        if line in source.added and _JS_SWALLOW_BODY.match(code[match.end():end - 1]):
            text = (source.head or "").splitlines()[line - 1].strip()
            found.append(finding("code.exception_swallowed", "exception_swallowed", source.path, line, text, function=None))
    return found


def _brace_special_cased(source: Source, policy: Policy, in_tests: Callable[[str], bool]) -> list[Finding]:
    """JS/TS and Go: an added ``if (x === <literal>) return <literal>`` (or ``if x == "..." { return ... }``)."""
    found = []
    for number in sorted(source.added):
        text = (source.head or "").splitlines()[number - 1] if source.head else ""
        match = _BRACE_SPECIAL.search(text)
        if not match:
            continue
        literal = match.group("lit")
        small = re.fullmatch(r"-?\d", literal) or literal in ("0", "''", '""', "``", "true", "false", "null")
        if not small and in_tests(literal) and not policy.mentions(literal.strip("'\"`")):
            found.append(finding("code.special_cased", "special_cased", source.path, number, text.strip(),
                                 function=match.group("var"), literal=literal))
    return found


def gate_code(sources: list[Source], policy: Policy, in_tests: Callable[[str], bool]) -> list[Finding]:
    """MAJOR findings on changed non-test code files: ``code.exception_swallowed`` (an added bare or
    ``except Exception``/``BaseException`` handler whose body only passes or returns a constant; a JS
    ``catch {}`` or ``.catch(() => {})``), ``code.empty_body`` (a function whose body became ``pass``/
    ``...``, abstract methods, overloads, Protocol/ABC stubs and .pyi files excepted), and
    ``code.special_cased`` (an added ``if x == <literal>: return <constant>`` where ``in_tests(literal)``
    says a test file contains the literal and the work order does not name it; JS/TS and Go: the
    one-line ``if (x === <literal>) return <literal>`` form)."""
    findings = []
    for source in sources:
        if source.head is None or policy.is_test_file(source.path) or source.path.endswith("conftest.py"):
            continue
        if source.path.endswith((".py", ".pyi")):
            tree = _parse(source.head)
            if tree is None:
                continue
            findings += _python_swallowed(source, tree)
            findings += _python_empty(source, tree, _parse(source.base))
            findings += _python_special_cased(source, tree, policy, in_tests)
        elif source.path.endswith(JS_SUFFIXES):
            findings += _js_swallowed(source)
            findings += _brace_special_cased(source, policy, in_tests)
        elif source.path.endswith(".go"):
            findings += _brace_special_cased(source, policy, in_tests)
    return findings
