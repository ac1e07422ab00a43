"""Which part of a conftest.py changes how the verify commands run.

A conftest.py holds two kinds of things: hooks and module-level settings (``pytest_*`` functions,
``collect_ignore``, ``pytest_plugins``, autouse fixtures, any statement run at import) that change what
pytest collects, runs or reports, and plain fixtures that only the tests asking for them by name use.
Adding or changing a plain fixture is test code (the behavioural checks judge the tests that use it);
changing anything else is a verify-config change (``verify.config_changed``).
"""

from __future__ import annotations

import ast


def _plain_fixture(node: ast.stmt) -> bool:
    """True for a function decorated ``@pytest.fixture``/``@fixture`` (any scope) without ``autouse``."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name.startswith("pytest_"):
        return False
    for decorator in node.decorator_list:
        text = ast.unparse(decorator)
        if text.split("(", 1)[0].rsplit(".", 1)[-1] == "fixture":
            return "autouse" not in text
    return False


def _neutral(node: ast.stmt, index: int) -> bool:
    docstring = index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    return docstring or isinstance(node, (ast.Import, ast.ImportFrom)) or _plain_fixture(node)


def _config_part(text: str | None) -> list[str] | None:
    """The module statements of conftest ``text`` that are not plain fixtures, imports or the docstring,
    dumped for comparison; None when the text does not parse."""
    if text is None:
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    return [ast.dump(node) for index, node in enumerate(tree.body) if not _neutral(node, index)]


def hooks_changed(base: str | None, head: str | None) -> bool:
    """True when conftest.py texts ``base`` and ``head`` (None: absent) differ in more than plain fixtures,
    imports and the docstring, or when either does not parse."""
    before, after = _config_part(base), _config_part(head)
    return before is None or after is None or before != after
