"""Which test files can run a changed Python module: the scope diff coverage traces (issue 19's cost budget).

Tracing a whole verify run with coverage.py's C tracer roughly doubles it on Python 3.11 (every line event of
every frame). Changed lines can only run in a test whose module imports, directly or through the project's
own modules, a changed module (or in code a ``conftest.py`` that does so runs). This module reads the
imports of every Python file of the work tree with :mod:`ast` (``import a.b``, ``from a import b``, relative
imports) and returns the test files that reach a changed file; the probe's pytest plugin traces only
their tests (:mod:`workorder.evidence.coverage_probe`). A ``conftest.py`` that reaches one, a tree too big
to read, or imports made at run time (``importlib.import_module``) the reading cannot see: the first two
give None (trace every test); the last can leave lines named as not run, a hint never a proof.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from ..inputs.globs import compile_globs

MAX_FILES = 20_000  # a larger tree is not read: every test is traced
_SKIP = {".git", ".workorder-results", "node_modules", "site-packages", "__pycache__", ".venv", "venv", ".tox"}


def related_tests(root: Path, changed: Iterable[str], test_patterns: list[str]) -> list[str] | None:
    """The test files (paths relative to ``root``, sorted) whose imports reach one of the ``changed``
    Python files (paths relative to ``root``); None when every test may run changed code (a
    ``conftest.py`` reaches one, or the tree has more than MAX_FILES Python files). Never raises for
    a file it cannot read or parse (its imports are unknown)."""
    files = _python_files(root)
    if files is None:
        return None
    names: dict[str, set[str]] = {}
    for path in files:
        for name in _dotted_names(path):
            names.setdefault(name, set()).add(path)
    texts = {path: _read(root / path) for path in files}
    imports: dict[str, set[str]] = {}
    reached = {p for p in changed if p.endswith(".py")}
    words = {_word(p) for p in reached}
    while words:  # only a file that spells a reached module's name can import it: parse only those
        found = set()
        for path in files:
            if path in reached or not any(w in texts[path] for w in words):
                continue
            if path not in imports:
                imports[path] = _imports(root, path)
            if any(target in reached for name in imports[path] for target in names.get(name, ())):
                found.add(path)
        reached |= found
        words = {_word(p) for p in found}
    if any(Path(p).name == "conftest.py" for p in reached):
        return None
    tests = compile_globs(test_patterns)
    return sorted(p for p in reached if tests.match_file(p))


def _word(path: str) -> bytes:
    """The name a module at ``path`` is imported by, last part only (a package: its folder's name)."""
    parts = path[:-3].split("/")
    return (parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1]).encode()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _python_files(root: Path) -> list[str] | None:
    found = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        if _SKIP.intersection(rel.parts[:-1]) or path.is_symlink():
            continue
        found.append(rel.as_posix())
        if len(found) > MAX_FILES:
            return None
    return found


def _dotted_names(path: str) -> list[str]:
    """Every dotted name ``path`` may be imported by: ``a/b/c.py`` is ``a.b.c``, ``b.c`` and ``c`` (the
    import roots are unknown: the repository, ``src/``, a test folder); a package's ``__init__.py`` is
    its folder's names."""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return [".".join(parts[i:]) for i in range(len(parts))] if parts else []


def _imports(root: Path, path: str) -> set[str]:
    """The dotted names file ``path`` imports (each package on the way too: importing ``a.b`` runs ``a``)."""
    try:
        tree = ast.parse((root / path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    package = path[:-3].split("/")[:-1] if not path.endswith("__init__.py") else path.split("/")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (node.module or "").split(".") if node.module else []
            if node.level:
                base = package[:len(package) - node.level + 1] + base
            module = ".".join(p for p in base if p)
            found.add(module)
            found.update(f"{module}.{alias.name}".lstrip(".") for alias in node.names if alias.name != "*")
    return {".".join(name.split(".")[:i]) for name in found if name for i in range(1, name.count(".") + 2)}
