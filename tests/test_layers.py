"""The house in layers: every subpackage of src/workorder is one floor and imports only the floors below it.

The import graph is read with an ast walk of every module, so an import under ``TYPE_CHECKING`` or inside a
function counts as much as one at the top. Asserted: no upward (or sideways) import between subpackages, no
import circle between any two modules, the loop, the gates and the handlers never import the GitHub client,
nothing imports the CLI, the gates never import the loop, and the faces the stdlib-only route step and the
scripted demo agents pass through are docstring-only. The checks run on a synthetic package too, to show
each one fails when its rule is broken.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# The floors, lowest first: a subpackage may import the root package (its version) and subpackages on
# lower floors, nothing on its own floor or above. "" is the root package (``workorder/__init__.py``).
FLOORS: dict[str, int] = {
    "": 0,
    "inputs": 1, "templates": 1, "presets": 1,
    "shell": 2,
    "contracts": 3,
    "evidence": 4, "github": 4, "agents": 4,
    "gates": 5,
    "loop": 6,
    "handlers": 7, "local": 7,
    "demo": 8,
    "cli": 9,
    "__main__": 10,
}
# Rules beyond the floors: (importer subpackages, imported subpackage, why).
FORBIDDEN: list[tuple[frozenset[str], str, str]] = [
    (frozenset({"loop", "gates", "handlers"}), "github", "knows GitHub only as contracts.forge.Forge"),
    (frozenset(FLOORS) - {"cli", "__main__"}, "cli", "nothing imports the CLI"),
    (frozenset({"gates"}), "loop", "the gates never import the loop"),
]
# Faces that must import nothing: the route step runs on a bare python3 -S, the demo agents run as -m.
DOCSTRING_ONLY = ("inputs", "handlers", "demo")


@dataclass(frozen=True)
class Edge:
    """``importer`` (a module) imports ``imported`` (a module of the same top package), at ``line``."""

    importer: str
    imported: str
    line: int


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root``: dotted name -> file (a package is its ``__init__.py``).
    Data folders (no ``__init__.py`` on the way, like ``demo/examples``) are left out."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if not all((root.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))):
            continue
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_edges(root: Path, package: str) -> list[Edge]:
    """Every import of ``package``'s own modules by its modules: top level, under TYPE_CHECKING and inside
    functions alike (``ast.walk`` visits every statement). ``from X import name`` imports ``X.name`` when that
    is a module, else ``X``."""
    modules = module_names(root, package)
    edges = []
    for name, path in modules.items():
        base = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = base.split(".")
                    start = ".".join(parts[: len(parts) - node.level + 1])
                    module = f"{start}.{node.module}" if node.module else start
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
            for target in targets:
                if target == package or target.startswith(package + "."):
                    edges.append(Edge(name, target, node.lineno))
    return edges


def floor_of(module: str) -> str:
    """The subpackage (floor) a module lives on: ``workorder.loop.engine`` -> ``loop``; the root -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_violations(edges: list[Edge]) -> list[str]:
    """Each import that points up or sideways between floors, or that a FORBIDDEN rule names."""
    found = []
    for e in edges:
        src, dst = floor_of(e.importer), floor_of(e.imported)
        if src == dst:
            continue
        where = f"{e.importer}:{e.line} imports {e.imported}"
        if FLOORS[dst] >= FLOORS[src]:
            found.append(f"{where}: {dst} (floor {FLOORS[dst]}) is not below {src} (floor {FLOORS[src]})")
        for importers, imported, why in FORBIDDEN:
            if src in importers and dst == imported:
                found.append(f"{where}: {src} never imports {imported} ({why})")
    return found


def circles(edges: list[Edge]) -> list[list[str]]:
    """The import circles between modules: each strongly connected set of two or more modules (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        if e.importer != e.imported:
            graph.setdefault(e.importer, set()).add(e.imported)
            graph.setdefault(e.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def floor_circles(edges: list[Edge]) -> list[list[str]]:
    """The circles between subpackages (floors), from the module edges."""
    return circles([Edge(floor_of(e.importer), floor_of(e.imported), e.line) for e in edges])


# ---- the real package -------------------------------------------------------------------------------------

EDGES = import_edges(SRC, "workorder")


def test_every_subpackage_has_a_floor():
    assert {floor_of(m) for m in module_names(SRC, "workorder")} <= set(FLOORS)


def test_the_walk_sees_imports_in_functions_and_under_type_checking():
    lazy = [e for e in EDGES if e.importer == "workorder.cli.main" and e.imported == "workorder.demo.run"]
    typing_only = [e for e in EDGES if e.importer == "workorder.gates.integrity" and e.imported == "workorder.gates.context"]
    assert lazy and typing_only


def test_imports_point_only_down():
    assert layer_violations(EDGES) == []


def test_no_import_circles_between_subpackages():
    assert floor_circles(EDGES) == []


def test_no_import_circles_between_modules():
    assert circles(EDGES) == []


@pytest.mark.parametrize("face", DOCSTRING_ONLY)
def test_stdlib_only_faces_are_docstring_only(face):
    tree = ast.parse((SRC / "workorder" / face / "__init__.py").read_text(encoding="utf-8"))
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr), f"{face}/__init__.py must hold only a docstring"


FACES = ("agents", "cli", "contracts", "evidence", "gates", "github", "local", "loop", "presets", "shell", "templates")


@pytest.mark.parametrize("face", FACES)
def test_every_name_a_face_exports_is_there(face):
    module = importlib.import_module(f"workorder.{face}")
    assert module.__all__ and all(getattr(module, name) is not None for name in module.__all__)


def test_every_module_a_shipped_file_runs_with_python_m_exists():
    """``python -m workorder.X`` in the action, the example configs, the templates, the code and the docs names a
    module that is there (a move that misses one leaves, say, the example milestone's agent unrunnable)."""
    root = SRC.parent
    files = [root / "action.yml", root / "README.md", *root.joinpath("examples").rglob("*"), *(SRC / "workorder").rglob("*")]
    named = {m for f in files if f.is_file() and f.suffix in {".py", ".yml", ".yaml", ".md", ".j2", ""}
             for m in re.findall(r"-m (workorder[\w.]*)", f.read_text(encoding="utf-8", errors="replace"))}
    assert "workorder.demo.milestone_agent" in named
    missing = sorted(m.rstrip(".") for m in named if importlib.util.find_spec(m.rstrip(".")) is None)
    assert missing == []


# ---- the checks can fail ----------------------------------------------------------------------------------

BAD = {
    "upward, inside a function": ("gates/risk.py", "def f():\n    from ..loop.engine import WorkOrderLoop\n",
                                  "loop (floor 6) is not below gates (floor 5)"),
    "upward, under TYPE_CHECKING": ("evidence/diff.py",
                                    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..gates import core\n",
                                    "is not below evidence"),
    "sideways": ("handlers/route.py", "from ..local import forge\n", "local (floor 7) is not below handlers"),
    "the loop imports GitHub": ("loop/engine.py", "import pkg.github.forge\n", "loop never imports github"),
    "someone imports the CLI": ("demo/run.py", "from ..cli.main import main\n", "nothing imports the CLI"),
    "the gates import the loop": ("gates/core.py", "from ..loop import engine\n", "gates never imports loop"),
}


def _package(tmp_path: Path, extra: dict[str, str]) -> Path:
    """A package ``pkg`` with one module per floor's usual import (all downward), plus ``extra`` files."""
    files = {
        "__init__.py": "", "inputs/__init__.py": "", "inputs/bounded.py": "",
        "evidence/__init__.py": "", "evidence/diff.py": "from ..inputs import bounded\n",
        "github/__init__.py": "", "github/forge.py": "",
        "gates/__init__.py": "", "gates/core.py": "from ..evidence.diff import x\n", "gates/risk.py": "",
        "loop/__init__.py": "", "loop/engine.py": "from ..gates import core\n",
        "handlers/__init__.py": "", "handlers/route.py": "",
        "local/__init__.py": "", "local/forge.py": "",
        "demo/__init__.py": "", "demo/run.py": "",
        "cli/__init__.py": "", "cli/main.py": "from ..github.forge import GitHubForge\nfrom .. import __version__\n",
    }
    files.update(extra)
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_a_package_that_follows_the_floors_passes(tmp_path):
    edges = import_edges(_package(tmp_path, {}), "pkg")
    assert len(edges) == 5
    assert layer_violations(edges) == [] and circles(edges) == [] and floor_circles(edges) == []


@pytest.mark.parametrize("case", BAD)
def test_a_broken_rule_is_found(tmp_path, case):
    name, text, message = BAD[case]
    root = _package(tmp_path, {name: text})
    found = layer_violations(import_edges(root, "pkg"))
    assert any(message in f for f in found), found


def test_a_circle_is_found(tmp_path):
    root = _package(tmp_path, {"gates/risk.py": "def f():\n    from .core import x\n",
                               "gates/core.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                                "    from .risk import y\n"})
    assert circles(import_edges(root, "pkg")) == [["pkg.gates.core", "pkg.gates.risk"]]


def test_a_circle_between_floors_is_found(tmp_path):
    root = _package(tmp_path, {"gates/risk.py": "def f():\n    from ..loop import engine\n"})
    edges = import_edges(root, "pkg")
    assert floor_circles(edges) == [["gates", "loop"]]
