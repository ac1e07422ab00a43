"""Diff coverage: the Python source lines a change adds must run under the tests.

The review's own verify run is measured with coverage.py (no extra run): every Python process the verify
commands start imports a ``sitecustomize`` from a folder the action puts first on ``PYTHONPATH`` (in the
work tree's results folder, with a copy of coverage.py, so a sandboxed run can read it), which
calls ``coverage.process_startup()`` (coverage.py's documented way to measure subprocesses,
coverage.readthedocs.io/en/latest/subprocess.html) with an rc file that records only the work tree's
files, in parallel data files under the work tree's results folder (the one place a sandboxed verify run
may write). The action combines them and compares with the diff: each added line that coverage.py
counts as a statement, in a changed Python file that is not a test file, must have run. Below
``diff_coverage.min_percent`` the review gets a MAJOR ``coverage.changed_lines`` naming the path:line
ranges that never ran (above it, the same finding as a MINOR note). Changed code in other languages is reported as a MINOR ``coverage.not_measured``
(never silently passed). The data is written by the verify run, which runs the agent's code: it is a
hint that code is untested, not proof that it is tested.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .contracts import Finding, Severity
from .globs import compile_globs
from .templates import Templates
from .testresults import RESULTS_DIR

if TYPE_CHECKING:
    from .diff import Diff
    from .gates import GateContext

_TEXT = Templates()
DATA_DIR = "coverage"  # under RESULTS_DIR
CODE_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".go", ".rs", ".rb", ".java", ".kt", ".cs", ".c",
                 ".cc", ".cpp", ".h", ".php", ".swift", ".scala")
MAX_RANGES = 30
_HOOK = """import os
try:
    import coverage
    coverage.process_startup()
except Exception:  # measuring must never break the project's own run
    pass
"""


@dataclass
class DiffCoverage:
    """What ran of the change: ``changed`` executable added lines per Python file, ``missed`` those that
    never ran, ``not_measured`` changed code files in languages that are not measured; ``measured``
    False when no coverage data came back (then nothing is claimed)."""

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

    def __init__(self, worktree: Path, paths: list[str] | None = None):
        self.worktree = worktree.resolve()
        include = [str(self.worktree / p) for p in paths] if paths else [f"{self.worktree}/*"]
        self.hook = self.worktree / RESULTS_DIR / "coverage-hook"  # in the tree: a sandboxed run can read it
        self.hook.mkdir(parents=True, exist_ok=True)
        import coverage  # imported here: only a review that measures pays for it

        shutil.copytree(Path(coverage.__file__).parent, self.hook / "coverage",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyi", "htmlfiles"))
        (self.hook / "sitecustomize.py").write_text(_HOOK, encoding="utf-8")
        folder = self.worktree / RESULTS_DIR / DATA_DIR
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o777)  # a sandboxed verify run writes here as the agent user
        (self.hook / "coveragerc").write_text(
            f"[run]\nparallel = True\ndata_file = {folder / '.coverage'}\ninclude =\n"
            + "".join(f"    {p}\n" for p in include),
            encoding="utf-8")
        self.hook.chmod(0o755)

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """The variables that make the verify run measured, over ``env``."""
        path = ":".join(p for p in (str(self.hook), env.get("PYTHONPATH", "")) if p)
        return {"PYTHONPATH": path, "COVERAGE_PROCESS_START": str(self.hook / "coveragerc")}

    def read(self, diff: Diff, test_patterns: list[str]) -> DiffCoverage:
        """The coverage of ``diff``'s added lines from the run's data (then removed, with the hook)."""
        from coverage import Coverage

        try:
            folder = self.worktree / RESULTS_DIR / DATA_DIR
            files = [p for p in folder.glob(".coverage*") if p.is_file() and not p.is_symlink()] if folder.is_dir() else []
            if not files:
                return _changed(diff, test_patterns, None, self.worktree)
            cov = Coverage(data_file=str(folder / ".combined"), config_file=False)
            cov.combine([str(p) for p in files], keep=True)
            return _changed(diff, test_patterns, cov, self.worktree)
        finally:
            shutil.rmtree(self.hook, ignore_errors=True)
            shutil.rmtree(self.worktree / RESULTS_DIR / DATA_DIR, ignore_errors=True)


def _changed(diff: Diff, test_patterns: list[str], cov, root: Path) -> DiffCoverage:
    """Compare ``diff``'s added lines with the combined data of ``cov`` (None: no data came back)."""
    tests = compile_globs([*test_patterns, "**/conftest.py", "conftest.py"])
    added: dict[str, set[int]] = {}
    for line in diff.added_lines:
        if not tests.match_file(line.path):
            added.setdefault(line.path, set()).add(line.line)
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
        changed = sorted(added[path] & set(statements))
        if changed:
            ran = set(data.lines(str(source)) or ())
            result.changed[path] = changed
            missed = [n for n in changed if n not in ran]
            if missed:
                result.missed[path] = missed
    return result


def start_probe(config, diff: Diff, worktree: Path) -> CoverageProbe | None:
    """A probe for the review's verify run when ``config.diff_coverage`` is enabled and ``diff`` adds
    lines to code files that are not tests; else None."""
    if not config.diff_coverage.enabled:
        return None
    tests = compile_globs([*config.test_patterns, "**/conftest.py", "conftest.py"])
    code = {a.path for a in diff.added_lines if a.path.endswith((".py", *CODE_SUFFIXES)) and not tests.match_file(a.path)}
    if not code or importlib.util.find_spec("coverage") is None:  # not installed: not measured
        return None
    return CoverageProbe(worktree, sorted(p for p in code if p.endswith(".py")) or None)


def ranges(lines: list[int]) -> list[str]:
    """``[3, 4, 5, 9]`` -> ``["3-5", "9"]``."""
    found: list[list[int]] = []
    for n in sorted(lines):
        if found and n == found[-1][1] + 1:
            found[-1][1] = n
        else:
            found.append([n, n])
    return [f"{a}-{b}" if a != b else str(a) for a, b in found]


def gate_diff_coverage(ctx: GateContext) -> list[Finding]:
    """``coverage.changed_lines`` naming the path:line ranges of changed executable Python lines that never
    ran under the verify commands: MAJOR when fewer than ``diff_coverage.min_percent`` ran, else MINOR;
    ``coverage.not_measured`` for changed code in other languages. Nothing without a measurement."""
    measured = ctx.diff_coverage
    if measured is None:
        return []
    findings = []
    if measured.measured and measured.missed:
        below = measured.percent < ctx.config.diff_coverage.min_percent
        where = [f"{path}:{r}" for path, lines in measured.missed.items() for r in ranges(lines)]
        first = next(iter(measured.missed.items()))
        findings.append(Finding(
            severity=Severity.MAJOR if below else Severity.MINOR, rule="coverage.changed_lines", path=first[0],
            line=first[1][0],
            message=_TEXT.render_line("diff_coverage.txt.j2", part="message", percent=measured.percent,
                                      minimum=ctx.config.diff_coverage.min_percent,
                                      count=sum(len(v) for v in measured.missed.values())),
            evidence=_TEXT.render("diff_coverage.txt.j2", part="evidence", where=where[:MAX_RANGES],
                                  more=max(0, len(where) - MAX_RANGES)).strip()))
    if measured.not_measured:
        findings.append(Finding(
            severity=Severity.MINOR, rule="coverage.not_measured",
            message=_TEXT.render_line("diff_coverage.txt.j2", part="not_measured", paths=measured.not_measured[:10])))
    return findings
