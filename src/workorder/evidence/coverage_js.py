"""Diff coverage's measurement for JavaScript and TypeScript: the coverage report Jest or Vitest writes.

"When configured": the project's own test config writes a report when its verify command runs with
coverage. Jest (jestjs.io/docs/configuration#coveragereporters-arraystring--tuplestring-options):
``jest --coverage`` with ``coverageReporters`` including ``json`` or ``lcov`` writes
``coverage/coverage-final.json`` or ``coverage/lcov.info`` under its rootDir; ``collectCoverageFrom``
makes files no test loads appear too, with zero counts. Vitest (vitest.dev/guide/coverage):
``vitest run --coverage`` with ``@vitest/coverage-v8`` or ``@vitest/coverage-istanbul`` and
``coverage.reporter`` including ``json`` or ``lcov``, the same files. Nothing is added to the verify
run: the action only deletes the report files ``diff_coverage.reports`` names before it and reads
them after it (when several verify commands write the same file, the last one's report is what counts).
A changed file no report names is left out (not measured): its executable lines are unknown. Two formats:

* Istanbul JSON (``coverage-final.json``, istanbul-lib-coverage's file coverage): one object per file,
  keyed by its path, with ``statementMap`` (``{id: {start: {line, column}, end: {...}}}``) and ``s``
  (``{id: count}``). A line is executable when a statement starts on it, and ran when one of those
  statements ran (istanbul's own ``getLineCoverage``, which its LCOV writer uses).
* LCOV (``lcov.info``, the ``geninfo`` format): ``SF:<path>`` opens a file's record, ``DA:<line>,<count>``
  is an executable line and how often it ran, ``end_of_record`` closes it.

Paths in a report are absolute (the run's work tree: the sandbox runs the command in the same work
tree, resolved) or relative (Jest's and Vitest's LCOV: to the run's root, tried as relative to the work
tree, then to the folder holding the report's folder, for a package of a monorepo). A path is only ever
matched against the changed files of the diff, never opened: no report entry can name a file outside
the work tree. The report files themselves are read only when no part of their path inside the work
tree is a symlink, and only when they are regular files of at most :data:`MAX_REPORT_BYTES`.

The report is written by the verify run, which runs the agent's code, and the agent could commit a
report of its own: the configured files are deleted before the run (only what this run wrote counts)
and after reading. Like the Python data, the result is a hint that code is untested, never proof that
it is tested.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
from pathlib import Path

from ..contracts.checks_config import JS_COVERAGE_REPORTS as DEFAULT_REPORTS
from ..contracts.checks_config import check_report_path
from ..inputs.globs import compile_globs
from .testresults import read_bounded

JS_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")
MAX_REPORT_BYTES = 32 * 1024 * 1024  # larger reports are not read (a big monorepo: configure lcov, far smaller)

Lines = dict[int, bool]  # executable line -> ran


def read_istanbul(text: str | bytes) -> dict[str, Lines] | None:
    """The executable lines of each file of an Istanbul JSON report (``coverage-final.json``), keyed by
    the file's path as the report names it; a line ran when a statement that starts on it ran. A file's
    object may also sit under ``data`` (older istanbul). Entries of the wrong shape are skipped. None
    when ``text`` is not a JSON object."""
    try:
        report = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(report, dict):
        return None
    files: dict[str, Lines] = {}
    for name, entry in report.items():
        if isinstance(entry, dict) and isinstance(entry.get("data"), dict):
            entry = entry["data"]
        if not isinstance(entry, dict) or not isinstance(entry.get("statementMap"), dict) or not isinstance(entry.get("s"), dict):
            continue
        lines = files.setdefault(name, {})
        for sid, where in entry["statementMap"].items():
            start = where.get("start") if isinstance(where, dict) else None
            line = start.get("line") if isinstance(start, dict) else None
            count = entry["s"].get(sid)
            if type(line) is int and line > 0 and isinstance(count, (int, float)) and not isinstance(count, bool):
                lines[line] = lines.get(line, False) or count > 0
    return files


def read_lcov(text: str | bytes) -> dict[str, Lines] | None:
    """The executable lines of each file of an LCOV report (``SF:`` opens a record, ``DA:line,count[,checksum]``
    one line, ``end_of_record`` closes it), keyed by the ``SF:`` path. Malformed ``DA:`` lines are skipped.
    None when ``text`` has no ``SF:`` record (not LCOV)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    files: dict[str, Lines] = {}
    current: Lines | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("SF:"):
            current = files.setdefault(line[3:], {})
        elif line == "end_of_record":
            current = None
        elif line.startswith("DA:") and current is not None:
            parts = line[3:].split(",")
            try:
                number, count = int(parts[0]), int(parts[1])
            except (ValueError, IndexError):
                continue
            if number > 0:
                current[number] = current.get(number, False) or count > 0
    return files if files else None


def read_report(data: bytes) -> dict[str, Lines] | None:
    """Either format, told apart by content: a JSON object is Istanbul's, anything else LCOV."""
    return read_istanbul(data) if data.lstrip()[:1] == b"{" else read_lcov(data)


def repo_path(name: str, roots: tuple[str, ...], project: str, wanted: set[str]) -> str | None:
    """The changed file (one of ``wanted``, repo-relative) that the report's path ``name`` is: an
    absolute ``name`` under one of ``roots`` (the work tree's absolute paths) made relative, a relative
    one relative to the work tree, else to ``project`` (the folder holding the report's folder). None
    when it is none of them (outside the work tree, or not a changed file)."""
    if not isinstance(name, str) or not name or "\x00" in name:
        return None
    if name.startswith("file://"):
        name = name[len("file://"):]
    if posixpath.isabs(name):
        norm = posixpath.normpath(name)
        candidates = [norm[len(root) + 1:] for root in roots if norm.startswith(root.rstrip("/") + "/")]
    else:
        candidates = [posixpath.normpath(name), posixpath.normpath(posixpath.join(project, name))]
    for path in candidates:
        if path in wanted and not posixpath.isabs(path) and path != ".." and not path.startswith("../"):
            return path
    return None


class JsCoverageProbe:
    """The Jest/Vitest coverage report of one verify run in ``worktree``: the ``reports`` (repo-relative
    paths) are deleted before the run and read after it. Implements coverage_probe's LanguageProbe."""

    suffixes: tuple[str, ...] = JS_SUFFIXES

    def __init__(self, worktree: Path, reports: list[str] | tuple[str, ...] = DEFAULT_REPORTS):
        """Set up the measurement: the configured report files in ``worktree`` are deleted now."""
        given = posixpath.normpath(os.path.abspath(str(worktree)))
        self.worktree = Path(worktree).resolve()
        self.roots = tuple(dict.fromkeys((str(self.worktree), given)))
        self.reports = [r for r in reports if _relative(r)]
        self.clear()

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """No extra variables (the project's config turns coverage on); the report files are deleted
        again, so a report the agent committed or left is never read as this run's."""
        self.clear()
        return {}

    def read(self, added: dict[str, set[int]]) -> dict[str, tuple[set[int], set[int]]] | None:
        """For each changed JS/TS file of ``added`` (repo-relative path -> added line numbers) that a
        report names: (its added executable lines, those of them that ran). Files no report names are
        left out (not measured: their executable lines are unknown). None when no report came back.
        The report files are deleted afterwards."""
        wanted = {p for p in added if p.endswith(self.suffixes)}
        merged: dict[str, Lines] = {}
        found = False
        try:
            for rel in self.reports:
                data = self._read_bytes(rel)
                files = read_report(data) if data is not None else None
                if files is None:
                    continue
                found = True
                project = posixpath.dirname(posixpath.dirname(rel))
                for name, lines in files.items():
                    path = repo_path(name, self.roots, project, wanted)
                    if path is not None:
                        into = merged.setdefault(path, {})
                        for n, ran in lines.items():
                            into[n] = into.get(n, False) or ran
        finally:
            self.clear()
        if not found:
            return None
        return {path: ({n for n in added[path] if n in lines}, {n for n in added[path] if lines.get(n)})
                for path, lines in sorted(merged.items())}

    def clear(self) -> list[str]:
        """Delete the configured report files (a file, symlink or other non-folder entry; never through a
        symlinked folder). Returns the repo-relative paths deleted."""
        removed = []
        for rel in self.reports:
            target = self._inside(rel)
            try:
                if target is not None and not stat.S_ISDIR(os.lstat(target).st_mode):
                    os.unlink(target)
                    removed.append(rel)
            except FileNotFoundError:
                continue
        return removed

    def _inside(self, rel: str) -> Path | None:
        """``rel`` under the work tree when every folder on the way is a real folder (no symlink), else None."""
        current = self.worktree
        for part in Path(rel).parts[:-1]:
            current = current / part
            try:
                if not stat.S_ISDIR(os.lstat(current).st_mode):
                    return None
            except OSError:
                return None
        return current / Path(rel).name

    def _read_bytes(self, rel: str) -> bytes | None:
        """The report file ``rel`` when it is a regular file (not a symlink, FIFO or device) of at most
        :data:`MAX_REPORT_BYTES` under real folders of the work tree; else None."""
        target = self._inside(rel)
        if target is None:
            return None
        return read_bounded(target, MAX_REPORT_BYTES)


def _relative(rel: str) -> bool:
    """A plain repo-relative file path, by the config's own rule (``check_report_path``): a probe made
    directly, not from a validated config, never reaches outside the work tree either."""
    try:
        return check_report_path(rel) == rel
    except ValueError:
        return False


def js_probe(config, worktree: Path, changed_paths: list[str] | set[str]) -> JsCoverageProbe | None:
    """A probe for the review's verify run when ``config.diff_coverage`` is enabled, names report files,
    and ``changed_paths`` (repo-relative) hold a JS/TS file that is not a test (``config.test_patterns``);
    else None. Making it deletes the configured report files in ``worktree``."""
    cov = config.diff_coverage
    if not cov.enabled or not cov.reports:
        return None
    tests = compile_globs(config.test_patterns)
    if not any(p.endswith(JS_SUFFIXES) and not tests.match_file(p) for p in changed_paths):
        return None
    return JsCoverageProbe(worktree, cov.reports)
