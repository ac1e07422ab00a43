"""Diff coverage's measurement: what ran of the Python lines a change adds, under the review's verify run.

The review's own verify run is measured with coverage.py (no extra run): every Python process the verify
commands start imports a ``sitecustomize`` from a folder the action puts first on ``PYTHONPATH`` (in the
work tree's results folder, with a copy of coverage.py, so a sandboxed run can read it), which
makes a ``coverage.Coverage`` from the rc file ``WORKORDER_COVERAGE_RC`` names (coverage.py's documented
way to measure subprocesses is similar, coverage.readthedocs.io/en/latest/subprocess.html) that records only the
changed files, and starts it only when a changed file is imported; under pytest only the tests of the
test files that reach a changed file are traced (:mod:`workorder.evidence.coverage_hook`,
:mod:`workorder.evidence.coverage_scope`). Data goes to parallel data files under the work tree's results folder (the one place a sandboxed verify run
may write). The action combines them and compares with the diff: each added line that coverage.py
counts as a statement, in a changed Python file that is not a test file, must have run. Other languages
are measured in the same run by language probes (:class:`LanguageProbe`, the factories in
``LANGUAGE_PROBES``: Go's is :mod:`workorder.evidence.coverage_go`, Jest/Vitest's
:mod:`workorder.evidence.coverage_js`); changed code no probe measured is
reported as not measured. The finding is :mod:`workorder.gates.diff_coverage`'s.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from ..inputs.globs import compile_globs
from .coverage_go import start_go_probe
from .coverage_js import JS_SUFFIXES, js_probe
from .coverage_hook import HOOK
from .coverage_hook import PLUGIN as PLUGIN_TEXT
from .coverage_scope import related_tests
from .testresults import RESULTS_DIR

if TYPE_CHECKING:
    from .diff import Diff

DATA_DIR = "coverage"  # under RESULTS_DIR
CODE_SUFFIXES = (*JS_SUFFIXES, ".go", ".rs", ".rb", ".java", ".kt", ".cs", ".c", ".cc", ".cpp", ".h", ".php", ".swift",
                 ".scala")
PLUGIN = "workorder_cov_plugin"  # the hook names it in PYTEST_PLUGINS


class LanguageProbe(Protocol):
    """Diff coverage of another language in the same verify run (Python's is :class:`CoverageProbe`'s)."""

    suffixes: tuple[str, ...]  # the changed files it measures, e.g. (".go",)

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """Extra variables for the verify run, over ``env`` (the run's environment so far)."""
        ...

    def read(self, added: dict[str, set[int]]) -> dict[str, tuple[set[int], set[int]]] | None:
        """After the run, for ``added`` (its changed files, relative path -> added line numbers): per
        measured path, (added executable lines, those of them that ran); None: no data came back."""
        ...


def _go_probe(config, worktree: Path, paths: list[str]) -> LanguageProbe | None:
    """Go's probe (it needs no config): see :func:`workorder.evidence.coverage_go.start_go_probe`."""
    return start_go_probe(worktree, paths)


# Each takes the repository config, the work tree and the changed code files that are not tests (relative
# paths, every language) and returns a probe, or None when it has nothing to measure; start_probe asks each.
LANGUAGE_PROBES: list[Callable[..., LanguageProbe | None]] = [_go_probe, js_probe]


@dataclass
class DiffCoverage:
    """What ran of the change: ``changed`` executable added lines per file (Python's, and those of the
    language probes), ``missed`` those that never ran, ``not_measured`` changed code files nothing
    measured; ``measured`` False when no coverage data came back (then nothing is claimed)."""

    changed: dict[str, list[int]] = field(default_factory=dict)
    missed: dict[str, list[int]] = field(default_factory=dict)
    not_measured: list[str] = field(default_factory=list)
    measured: bool = True

    @property
    def percent(self) -> float:
        """Percent of changed executable lines that ran (100 when none changed)."""
        total = sum(len(v) for v in self.changed.values())
        return 100.0 if total == 0 else 100.0 * (total - sum(len(v) for v in self.missed.values())) / total


class CoverageProbe:
    """Sets up and reads the coverage measurement of one verify run in ``worktree``."""

    def __init__(self, worktree: Path, paths: list[str] | None = None, related: list[str] | None = None,
                 languages: list[LanguageProbe] | None = None):
        """Set up in ``worktree`` the measurement of ``paths`` (relative; None: every file), tracing in
        pytest only the tests of the ``related`` test files (relative; None: every test); the
        ``languages`` probes measure other languages' files in the same run."""
        self.worktree = worktree.resolve()
        self.languages = languages or []
        include = [str(self.worktree / p) for p in paths] if paths else [f"{self.worktree}/*"]
        self.hook = self.worktree / RESULTS_DIR / "coverage-hook"  # in the tree: a sandboxed run can read it
        self.hook.mkdir(parents=True, exist_ok=True)
        import coverage  # imported here: only a review that measures pays for it

        shutil.copytree(Path(coverage.__file__).parent, self.hook / "coverage",
                        ignore=shutil.ignore_patterns("*.pyi", "htmlfiles"))  # bytecode too: no compiling per run
        (self.hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
        (self.hook / f"{PLUGIN}.py").write_text(PLUGIN_TEXT, encoding="utf-8")
        (self.hook / "changed.txt").write_text("".join(f"{p}\n" for p in include if not p.endswith("*")), encoding="utf-8")
        (self.hook / "related.txt").write_text(
            "*\n" if related is None else "".join(f"{self.worktree / p}\n" for p in related), encoding="utf-8")
        folder = self.worktree / RESULTS_DIR / DATA_DIR
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o777)  # a sandboxed verify run writes here as the agent user
        (self.hook / "data.txt").write_text(f"{folder}\n", encoding="utf-8")
        (self.hook / "coveragerc").write_text(
            f"[run]\nparallel = True\ndisable_warnings = no-data-collected, module-not-imported\n"
            f"data_file = {folder / '.coverage'}\ninclude =\n"
            + "".join(f"    {p}\n" for p in include),
            encoding="utf-8")
        self.hook.chmod(0o755)

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """The variables that make the verify run measured, over ``env``."""
        path = ":".join(p for p in (str(self.hook), env.get("PYTHONPATH", "")) if p)
        extra = {"PYTHONPATH": path, "WORKORDER_COVERAGE_RC": str(self.hook / "coveragerc")}
        for language in self.languages:
            extra.update(language.env({**env, **extra}))
        return extra

    def read(self, diff: Diff, test_patterns: list[str]) -> DiffCoverage:
        """The coverage of ``diff``'s added lines from the run's data (then removed, with the hook), the
        language probes' files included."""
        result = self._read_python(diff, test_patterns)
        return _with_languages(result, _added(diff, test_patterns), self.languages)

    def _read_python(self, diff: Diff, test_patterns: list[str]) -> DiffCoverage:
        """The coverage of ``diff``'s added Python lines (see :meth:`read`)."""
        from coverage import Coverage

        try:
            folder = self.worktree / RESULTS_DIR / DATA_DIR
            files = [p for p in folder.glob(".coverage*") if p.is_file() and not p.is_symlink()] if folder.is_dir() else []
            if not files and not (folder.is_dir() and any(folder.glob("started-*"))):
                return _changed(diff, test_patterns, None, self.worktree)  # the hook never ran
            cov = Coverage(data_file=str(folder / ".combined"), config_file=False)
            if files:  # else measured, and no changed module was ever imported
                cov.combine([str(p) for p in files], keep=True)
            return _changed(diff, test_patterns, cov, self.worktree)
        finally:
            shutil.rmtree(self.hook, ignore_errors=True)
            shutil.rmtree(self.worktree / RESULTS_DIR / DATA_DIR, ignore_errors=True)


def _changed(diff: Diff, test_patterns: list[str], cov, root: Path) -> DiffCoverage:
    """Compare ``diff``'s added lines with the combined data of ``cov`` (None: no data came back)."""
    added = _added(diff, test_patterns)
    result = DiffCoverage(measured=cov is not None)
    measured = (".py",) if cov is not None else ()  # no data came back: Python was not measured either
    result.not_measured = sorted(p for p in added if p.endswith((".py", *CODE_SUFFIXES)) and not p.endswith(measured))
    if cov is None:
        return result
    data = cov.get_data()
    for path in sorted(p for p in added if p.endswith(".py")):
        source = root / path
        try:
            _, statements, _, _, _ = cov.analysis2(str(source))
        except Exception:  # not Python coverage.py can parse: nothing to claim
            continue
        _record(result, path, added[path] & set(statements), set(data.lines(str(source)) or ()))
    return result


def _record(result: DiffCoverage, path: str, changed: set[int], ran: set[int]) -> None:
    """Put ``path``'s ``changed`` executable added lines in ``result.changed``, those not in ``ran`` in
    ``result.missed`` (nothing when none changed)."""
    if changed:
        result.changed[path] = sorted(changed)
        missed = sorted(changed - ran)
        if missed:
            result.missed[path] = missed


def _added(diff: Diff, test_patterns: list[str]) -> dict[str, set[int]]:
    """``diff``'s added line numbers per path, test files (``test_patterns``, conftest.py) left out."""
    tests = _test_files(test_patterns)
    added: dict[str, set[int]] = {}
    for line in diff.added_lines:
        if not tests.match_file(line.path):
            added.setdefault(line.path, set()).add(line.line)
    return added


def _test_files(test_patterns: list[str]):
    """The matcher of the files diff coverage leaves out: ``test_patterns`` and every conftest.py."""
    return compile_globs([*test_patterns, "**/conftest.py", "conftest.py"])


def _with_languages(result: DiffCoverage, added: dict[str, set[int]], languages: list[LanguageProbe]) -> DiffCoverage:
    """``result`` with what each of ``languages`` measured of its files in ``added``: their executable
    added lines in ``changed``, those that never ran in ``missed``, no longer ``not_measured``;
    ``measured`` when any data came back. A probe that fails measures nothing."""
    for language in languages:
        mine = {p: lines for p, lines in added.items() if p.endswith(language.suffixes)}
        try:
            found = language.read(mine)  # also when nothing is its: read removes what it set up
        except Exception:  # the agent's run wrote the data: a damaged one never breaks the review
            found = None
        if found is None or not mine:
            continue
        result.measured = True
        for path, (executable, ran) in found.items():
            if path not in mine:
                continue
            result.not_measured = [p for p in result.not_measured if p != path]
            _record(result, path, executable & mine[path], ran)
    result.changed, result.missed = dict(sorted(result.changed.items())), dict(sorted(result.missed.items()))
    return result


def start_probe(config, diff: Diff, worktree: Path) -> CoverageProbe | None:
    """A probe for the review's verify run when ``config.diff_coverage`` is enabled and ``diff`` adds
    lines to code files that are not tests (with the probes of ``LANGUAGE_PROBES`` that have something
    to measure); else None."""
    if not config.diff_coverage.enabled:
        return None
    tests = _test_files(config.test_patterns)
    code = {a.path for a in diff.added_lines if a.path.endswith((".py", *CODE_SUFFIXES)) and not tests.match_file(a.path)}
    if not code or importlib.util.find_spec("coverage") is None:  # not installed: not measured
        return None
    python = sorted(p for p in code if p.endswith(".py"))
    related = related_tests(worktree, python, config.test_patterns) if python else None
    languages = [probe for factory in LANGUAGE_PROBES if (probe := factory(config, worktree, sorted(code))) is not None]
    return CoverageProbe(worktree, python or None, related, languages)
