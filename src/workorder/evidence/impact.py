"""The impact of a change, computed from the real diff (never from what the agent says).

:func:`measure_impact` reads ``git diff --numstat`` between the work branch's base and head, the
changed files' statuses (:class:`workorder.evidence.diff.Diff`) and, for changed Python test files, both
versions of the file (parsed with :mod:`ast`). The result goes into the recorded publication and the
pull request body (template ``impact.md.j2``), with a rollback hint drawn from the same facts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from pydantic import BaseModel, Field

from ..contracts.config import RepoConfig
from .diff import Diff
from ..shell.gitops import Git
from ..inputs.globs import compile_globs

MAX_LISTED = 50  # paths or test ids kept per list (the impact lives in the hidden state)
MAX_FOLDERS = 20  # top folders kept, the largest first
DOCS_PATTERNS = ["*.md", "*.rst", "*.adoc", "*.txt", "docs/**", "doc/**", "LICENSE*", "CHANGELOG*"]
CONFIG_PATTERNS = [
    "*.yml", "*.yaml", "*.toml", "*.ini", "*.cfg", "*.conf", "*.json", ".github/**", ".*", "Makefile",
    "Dockerfile", "*.mk", "conftest.py", "sitecustomize.py",
]
MIGRATION_PATTERNS = ["migrations/**", "**/migrations/**", "alembic/versions/**", "db/migrate/**", "*.sql"]
AREAS = ("source", "test", "docs", "config", "dependency")


class AreaImpact(BaseModel):
    """Changed files of one area (a class such as ``test``, or a top folder) and their line counts."""

    area: str
    files: int = 0
    added: int = 0
    removed: int = 0


class Impact(BaseModel):
    """What a change touches. Lines are the diff's added/removed text lines (binary files count 0).

    ``areas``: by class (source, test, docs, config, dependency: config ``test_patterns`` and
    ``dependency_manifests`` decide test and dependency); ``folders``: by top folder (``.`` for files
    at the root). Tests are test file paths and Python test ids ``path::Class::test_name``; lists keep at
    most :data:`MAX_LISTED` entries, ``truncated`` says when some were left out.
    """

    files: int = 0
    added: int = 0
    removed: int = 0
    areas: list[AreaImpact] = Field(default_factory=list)
    folders: list[AreaImpact] = Field(default_factory=list)
    test_files_added: list[str] = Field(default_factory=list)
    test_files_removed: list[str] = Field(default_factory=list)
    tests_added: list[str] = Field(default_factory=list)
    tests_removed: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    migrations: list[str] = Field(default_factory=list)
    truncated: bool = False


def parse_numstat(text: str) -> dict[str, tuple[int, int]]:
    """Parse ``git diff --numstat -z -M`` output into {new path: (added, removed)}; binary files
    (``-``) count 0 lines."""
    counts: dict[str, tuple[int, int]] = {}
    parts = text.split("\0")
    i = 0
    while i < len(parts) and parts[i]:
        added, removed, path = parts[i].split("\t", 2)
        if not path:  # a rename: old and new path follow as their own fields
            path, i = parts[i + 2], i + 3
        else:
            i += 1
        counts[path] = (int(added) if added.isdigit() else 0, int(removed) if removed.isdigit() else 0)
    return counts


def python_tests(source: str | None) -> set[str] | None:
    """Names of the test functions in Python ``source``: ``test*`` functions at module level and
    ``Class::test*`` methods. Returns an empty set for None (no file) and None when it does not parse."""
    if source is None:
        return set()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{item.name}" for item in node.body
                         if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"))
    return names


def _area(path: str, specs: dict[str, object]) -> str:
    for area in ("dependency", "test", "docs", "config"):
        if specs[area].match_file(path):  # type: ignore[attr-defined]
            return area
    return "source"


def _tally(rows: Iterable[tuple[str, int, int]]) -> list[AreaImpact]:
    found: dict[str, AreaImpact] = {}
    for area, added, removed in rows:
        row = found.setdefault(area, AreaImpact(area=area))
        row.files, row.added, row.removed = row.files + 1, row.added + added, row.removed + removed
    return sorted(found.values(), key=lambda r: (-(r.added + r.removed), r.area))


def _test_changes(git: Git, base: str, head: str, diff: Diff, tests) -> tuple[list[str], list[str]]:
    added: list[str] = []
    removed: list[str] = []
    for f in diff.files:
        old = f.old_path or f.path
        if not (f.path.endswith(".py") or old.endswith(".py")) or not (tests.match_file(f.path) or tests.match_file(old)):
            continue
        before = python_tests(None if f.status == "A" else git.show_file(base, old))
        after = python_tests(None if f.status == "D" else git.show_file(head, f.path))
        if before is None or after is None:
            continue
        added += [f"{f.path}::{name}" for name in sorted(after - before)]
        removed += [f"{old}::{name}" for name in sorted(before - after)]
    return added, removed


def _test_files(diff: Diff, tests) -> tuple[list[str], list[str]]:
    """(test files added, test files removed); a test file renamed to another test file is neither."""
    added: list[str] = []
    removed: list[str] = []
    for f in diff.files:
        was_test = f.status != "A" and tests.match_file(f.old_path or f.path)
        is_test = f.status != "D" and tests.match_file(f.path)
        if is_test and not was_test:
            added.append(f.path)
        elif was_test and not is_test:
            removed.append(f.old_path or f.path)
    return added, removed


def measure_impact(git: Git, base: str, head: str, diff: Diff, config: RepoConfig) -> Impact:
    """The :class:`Impact` of ``base``..``head`` in ``git``'s repository, whose changed files are
    ``diff``'s; test and dependency files are those of ``config``. Raises
    :class:`workorder.shell.gitops.GitError` when git cannot diff the two commits."""
    counts = parse_numstat(git.run("diff", "--no-color", "--no-ext-diff", "--numstat", "-z", "-M", base, head))
    specs = {"dependency": compile_globs(config.dependency_manifests), "test": compile_globs(config.test_patterns),
             "docs": compile_globs(DOCS_PATTERNS), "config": compile_globs(CONFIG_PATTERNS)}
    migrations = compile_globs(MIGRATION_PATTERNS)
    rows = [(f.path, *counts.get(f.path, (0, 0))) for f in diff.files]
    tests_added, tests_removed = _test_changes(git, base, head, diff, specs["test"])
    touched = diff.touched_paths
    added_files, removed_files = _test_files(diff, specs["test"])
    lists = {
        "test_files_added": added_files,
        "test_files_removed": removed_files,
        "tests_added": tests_added,
        "tests_removed": tests_removed,
        "dependencies": [p for p in touched if specs["dependency"].match_file(p)],
        "migrations": [p for p in touched if migrations.match_file(p)],
    }
    folders = _tally((p.split("/", 1)[0] if "/" in p else ".", a, r) for p, a, r in rows)
    return Impact(
        files=len(rows), added=sum(r[1] for r in rows), removed=sum(r[2] for r in rows),
        areas=_tally((_area(p, specs), a, r) for p, a, r in rows), folders=folders[:MAX_FOLDERS],
        truncated=len(folders) > MAX_FOLDERS or any(len(v) > MAX_LISTED for v in lists.values()),
        **{k: v[:MAX_LISTED] for k, v in lists.items()},
    )
