"""Python tests read with the ``ast`` module: pytest and unittest test functions, assertions, skips."""

from __future__ import annotations

import ast
import re

from .model import EXACT, LOOSE, TRIVIAL, Assertion, SkipMarker, TestCase, TestFile

_SKIP_NAME = re.compile(r"(^|\.)(skip|skipif|skipIf|skipUnless|xfail|expectedFailure|skipTest|importorskip)$")
_EXACT_METHODS = {
    "assertEqual", "assertEquals", "assertListEqual", "assertDictEqual", "assertTupleEqual", "assertSetEqual",
    "assertSequenceEqual", "assertMultiLineEqual", "assertCountEqual", "assertAlmostEqual", "assertIs",
    "assertIsNone", "assertRaises", "assertRaisesRegex", "assertWarns", "assertWarnsRegex", "assertLogs",
    "assert_called_once_with", "assert_called_with", "assert_has_calls", "assertRegex", "raises", "warns",
}
_BROAD = {"Exception", "BaseException"}
_GENERIC_CALLS = {"len", "str", "int", "float", "list", "dict", "set", "tuple", "isinstance", "range", "print",
                  "approx", "raises", "parametrize", "sorted", "repr", "type", "getattr"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    try:
        return ast.unparse(node)
    except Exception:  # unparse cannot fail on a parsed tree; be safe on odd nodes
        return ""


def _always_true(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        return any(_always_true(v) for v in node.values)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = node.left, node.comparators[0]
        same = ast.dump(left) == ast.dump(right)
        consts = isinstance(left, ast.Constant) and isinstance(right, ast.Constant)  # decided before it runs
        return (same and isinstance(node.ops[0], (ast.Eq, ast.Is, ast.GtE, ast.LtE))) or consts
    return False


def _assert_strength(node: ast.Assert) -> int:
    test = node.test
    if _always_true(test):
        return TRIVIAL
    if isinstance(test, ast.Compare) and all(isinstance(op, (ast.Eq, ast.Is)) for op in test.ops):
        return EXACT
    return LOOSE


def _call_strength(node: ast.Call, name: str) -> int | None:
    method = name.rsplit(".", 1)[-1]
    if not (method.startswith(("assert", "assert_")) or name in ("pytest.raises", "pytest.warns")):
        return None
    args = node.args
    if method in ("assertTrue", "assertIsNotNone") and args and _always_true(args[0]):
        return TRIVIAL
    if method in ("assertEqual", "assertEquals") and len(args) >= 2 and ast.dump(args[0]) == ast.dump(args[1]):
        return TRIVIAL
    if method in ("raises", "warns", "assertRaises", "assertRaisesRegex") and args:
        return LOOSE if _dotted(args[0]) in _BROAD else EXACT
    return EXACT if method in _EXACT_METHODS else LOOSE


def _assertions(func: ast.AST) -> tuple[Assertion, ...]:
    found = []
    for node in ast.walk(func):
        if isinstance(node, ast.Assert):
            found.append(Assertion(node.lineno, _assert_strength(node), ast.unparse(node)))
        elif isinstance(node, ast.Call):
            strength = _call_strength(node, _dotted(node))
            if strength is not None:
                found.append(Assertion(node.lineno, strength, ast.unparse(node)))
    return tuple(sorted(found, key=lambda a: a.line))


def _skips(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, test: str | None) -> list[SkipMarker]:
    marks = [SkipMarker(d.lineno, ast.unparse(d), test) for d in func.decorator_list if _SKIP_NAME.search(_dotted(d))]
    if not isinstance(func, ast.ClassDef):
        for node in (n for stmt in func.body for n in ast.walk(stmt)):  # decorators counted above
            if isinstance(node, ast.Call) and _SKIP_NAME.search(_dotted(node)):
                marks.append(SkipMarker(node.lineno, ast.unparse(node), test))
            elif isinstance(node, ast.Raise) and node.exc is not None and "SkipTest" in _dotted(node.exc):
                marks.append(SkipMarker(node.lineno, ast.unparse(node), test))
    return marks


def _fingerprint(func: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    params = [a.arg for a in func.args.args if a.arg not in ("self", "cls")]  # a method keeps its test's body
    return repr(params) + ast.dump(ast.Module(body=body, type_ignores=[]))


def _test_case(path: str, func: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str) -> TestCase:
    calls = {_dotted(n).rsplit(".", 1)[-1] for n in ast.walk(func) if isinstance(n, ast.Call)}
    constants = {repr(n.value) for n in ast.walk(func) if isinstance(n, ast.Constant)}
    parametrized = any("parametrize" in _dotted(d) for d in func.decorator_list)
    return TestCase(path=path, key=prefix + func.name, name=func.name, line=func.lineno, body=_fingerprint(func),
                    assertions=_assertions(func), calls=frozenset(c for c in calls if c and c not in _GENERIC_CALLS
                    and not c.startswith("assert")), constants=frozenset(constants), parametrized=parametrized)


def _is_test_class(node: ast.ClassDef) -> bool:
    return node.name.startswith("Test") or any("TestCase" in _dotted(b) for b in node.bases)


def read_python_tests(path: str, text: str) -> TestFile:
    """The tests in Python file ``path`` (module-level ``test*`` functions and ``test*`` methods of
    ``Test*``/TestCase classes) with their assertions, and every skip/xfail marker (decorators,
    ``pytest.skip()``, ``self.skipTest()``, ``raise SkipTest``, ``pytestmark``). A file that does not
    parse gives ``TestFile(parsed=False)``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return TestFile(parsed=False)
    tests: list[TestCase] = []
    skips: list[SkipMarker] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            tests.append(_test_case(path, node, ""))
            skips += _skips(node, node.name)
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            skips += _skips(node, node.name)
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"):
                    tests.append(_test_case(path, item, node.name + "."))
                    skips += _skips(item, item.name)
        elif isinstance(node, ast.Assign) and any(_dotted(t) == "pytestmark" for t in node.targets):
            if "skip" in ast.unparse(node.value) or "xfail" in ast.unparse(node.value):
                skips.append(SkipMarker(node.lineno, ast.unparse(node), None))
    return TestFile(tuple(tests), tuple(skips))
