"""Which file is what (test, code, verify-relevant) and what the work order allows.

Rules (documented in docs/gates.md):

* A file is a *test file* when the repo config's ``test_patterns`` match it (conftest.py is a
  verify-relevant file, not a test file). A test is *collected* only from files its runner collects by
  default: ``test_*.py``/``*_test.py``, ``*.test.*``/``*.spec.*``/``__tests__/``/``test/`` (mocha),
  ``*_test.go``; a test file modified in place always counts.
* A *verify-relevant file* changes how the verify commands behave: runner and coverage config, conftest,
  sitecustomize, build and CI scripts, package.json scripts, and any file a verify command names.
  It is *put in scope* by the work order when an ``in_scope`` glob that matches it spells its file name
  (``tests/conftest.py``, ``**/Makefile``) or its CI folder (``.github/workflows/**``), or when the
  work order's text (objective, why, done_when, notes) names its file name. ``tests/**`` alone does not.
* An added skip or xfail is *allowed* when the work order's text names the skipped test (function name
  or test title) and says skip, xfail or "expected failure".
* A suppression comment (``# noqa`` ...) is allowed when the work order's text names the marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import PurePosixPath

import pathspec

from ...inputs.globs import compile_globs
from ...contracts.workorder import WorkOrder

CODE_SUFFIXES = (".py", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".go")
JS_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")

# file-name globs of verify-relevant files, each with what it controls
VERIFY_FILES: tuple[tuple[str, str], ...] = (
    ("conftest.py", "pytest fixtures and hooks"),
    ("pytest.ini", "pytest options"), ("tox.ini", "tox/pytest options"), (".coveragerc", "coverage options"),
    ("sitecustomize.py", "code run at every Python start"), ("usercustomize.py", "code run at every Python start"),
    ("*.pth", "code run at every Python start"), ("noxfile.py", "nox sessions"),
    ("Makefile", "make targets"), ("GNUmakefile", "make targets"), ("*.mk", "make targets"),
    ("justfile", "just recipes"), ("Taskfile.yml", "task targets"),
    ("jest.config.*", "jest options"), ("vitest.config.*", "vitest options"), ("vite.config.*", "vitest options"),
    ("karma.conf.*", "karma options"), (".mocharc*", "mocha options"), ("playwright.config.*", "playwright options"),
    (".eslintrc*", "lint rules"), ("eslint.config.*", "lint rules"), (".flake8", "lint rules"),
    ("mypy.ini", "type-check options"), (".pylintrc", "lint rules"), ("ruff.toml", "lint rules"),
    (".ruff.toml", "lint rules"), (".pre-commit-config.yaml", "pre-commit hooks"),
    (".gitlab-ci.yml", "CI jobs"), ("Jenkinsfile", "CI jobs"), ("azure-pipelines.yml", "CI jobs"),
)
VERIFY_DIRS: tuple[tuple[str, str], ...] = (
    (".github/workflows/", "CI workflows"), (".ci/", "CI scripts"), (".circleci/", "CI jobs"),
)
# section prefixes of shared config files that matter to verify runs
PYPROJECT_SECTIONS = ("tool.pytest", "tool.coverage", "tool.tox", "tool.ruff", "tool.mypy", "tool.pylint")
SETUP_CFG_SECTIONS = ("tool:pytest", "coverage:", "flake8", "mypy", "pylint", "tox:")
PACKAGE_JSON_KEYS = ("scripts", "jest", "nyc", "c8", "mocha", "ava", "eslintConfig")
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".ps1", ".bat", ".cmd")
SKIP_WORDS = re.compile(r"\bskip|\bxfail|expected failure", re.IGNORECASE)


def verify_file_kind(path: str, verify_cmds: list[str]) -> str | None:
    """What ``path`` controls in a verify run (e.g. "pytest options"), or None when it is not a
    verify-relevant file by name. pyproject.toml, setup.cfg and package.json are checked by section
    elsewhere; scripts named by a verify command count."""
    name = PurePosixPath(path).name
    for pattern, what in VERIFY_FILES:
        if fnmatch(name, pattern):
            return what
    for folder, what in VERIFY_DIRS:
        if path.startswith(folder):
            return what
    if any(path in cmd.split() or f"./{path}" in cmd.split() for cmd in verify_cmds):
        return "a script a verify command runs"
    return None


def is_script(path: str) -> bool:
    """True for files that run shell commands (where ``|| true`` masks a failure)."""
    name = PurePosixPath(path).name
    return (name.endswith(SCRIPT_SUFFIXES) or name in ("Makefile", "GNUmakefile", "justfile", "Taskfile.yml",
            "tox.ini", "package.json", "Dockerfile", ".gitlab-ci.yml", "Jenkinsfile") or name.endswith(".mk")
            or path.startswith((".github/workflows/", ".ci/", ".circleci/", "scripts/", "bin/")))


def is_collected(path: str) -> bool:
    """True when a default test runner collects tests from ``path`` (pytest, jest/vitest, go test)."""
    name = PurePosixPath(path).name
    if name.endswith(".py"):
        return (name.startswith("test_") or name.endswith("_test.py")) and name != "conftest.py"
    if name.endswith(JS_SUFFIXES):
        folders = f"/{path}".split("/")[:-1]
        return ".test." in name or ".spec." in name or bool({"__tests__", "test", "tests"} & set(folders))
    return name.endswith("_test.go")


@dataclass(frozen=True)
class Policy:
    """The work order's allowances and the repo's test patterns, ready to ask."""

    order: WorkOrder
    tests: pathspec.PathSpec
    text: str  # the work order's words, lower-cased

    @classmethod
    def build(cls, order: WorkOrder, test_patterns: list[str]) -> Policy:
        """A policy for ``order`` with the config's ``test_patterns`` (gitignore-style globs)."""
        words = [order.objective, order.why or "", order.notes or "", *order.done_when]
        return cls(order, compile_globs(test_patterns), "\n".join(words).lower())

    def is_test_file(self, path: str) -> bool:
        """True when ``path`` is a test file (conftest.py never is)."""
        return PurePosixPath(path).name != "conftest.py" and self.tests.match_file(path)

    def in_scope_by_name(self, path: str) -> bool:
        """True when the work order puts verify-relevant ``path`` in scope (see the module rules)."""
        name = PurePosixPath(path).name
        if name.lower() in self.text or path.lower() in self.text:
            return True
        for pattern in self.order.in_scope:
            named = name in pattern or any(folder.rstrip("/") in pattern for folder, _ in VERIFY_DIRS)
            if named and compile_globs([pattern]).match_file(path):
                return True
        return False

    def allows_skip(self, test: str | None) -> bool:
        """True when the work order names ``test`` and says it may be skipped or xfailed."""
        return bool(test) and test.lower() in self.text and bool(SKIP_WORDS.search(self.text))

    def mentions(self, word: str) -> bool:
        """True when the work order's text contains ``word`` (case-insensitive)."""
        return word.lower() in self.text
