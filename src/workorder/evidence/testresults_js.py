"""Per-test results of Jest and Vitest, read from the command's log.

* ``jest --json`` (jestjs.io/docs/cli#--json) prints its report as one JSON object: ``testResults[]``,
  one per test file (``name``: its absolute path), each with ``assertionResults[]`` (``ancestorTitles``,
  ``title``, ``status``). Vitest's ``--reporter=json`` writes the same shape (vitest.dev/guide/reporters).
* Jest's default reporter ends with ``Tests:       1 failed, 2 skipped, 10 passed, 13 total``; with
  ``--verbose`` (or a single test file) it also prints each file's tests as a tree under
  ``PASS  <file>``: ``✓ title (3 ms)`` passed, ``✕`` failed, ``○ skipped`` and ``✎ todo`` skipped,
  describe blocks as indented titles (two spaces a level).
* Vitest's summary line is ``Tests  2 failed | 10 passed (12)``; only the count is read from it.

A test's id is ``<file> › <describe> › <title>``, the file relative to the work tree. When the tests
named are not all the tests the summary counts, only the count is kept: a count never makes a test
"regressed" (:func:`workorder.gates.baseline.regressions` needs named tests on both sides).
"""

from __future__ import annotations

import json
import re

from .testresults_model import CommandResults, Outcome, TestCase

MAX_JSON_CHARS = 16 * 1024 * 1024
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_JEST_TOTAL = re.compile(r"^Tests:[ \t]+[^\n]{0,300}?(?P<total>\d{1,9}) total[ \t]*$", re.MULTILINE)
_VITEST_TOTAL = re.compile(r"^[ \t]*Tests {2,}[^\n(]{0,300}\((?P<total>\d{1,9})\)[ \t]*$", re.MULTILINE)
_JEST_FILE = re.compile(r"^ ?(?:PASS|FAIL) +(?P<file>\S+)")
_JEST_TEST = re.compile(r"^(?P<indent>(?:  )+)(?P<mark>[✓✕○✎√×]) (?P<title>.*?)(?: \(\d+(?:\.\d+)? ?m?s\))?$")
_JEST_BLOCK = re.compile(r"^(?P<indent>(?:  )+)(?P<title>\S.*)$")
_JEST_MARKS: dict[str, Outcome] = {"✓": "passed", "√": "passed", "✕": "failed", "×": "failed",
                                   "○": "skipped", "✎": "skipped"}
_JEST_STATUS: dict[str, Outcome] = {"passed": "passed", "focused": "passed", "failed": "failed"}


def read_js_output(cmd: str, text: str, root: str = "") -> CommandResults | None:
    """The Jest or Vitest results in the log ``text`` of a verify command run in the work tree ``root``:
    a JSON report if it printed one, else Jest's text, else Vitest's summary. None when there is none."""
    text = _ANSI.sub("", text)
    return read_jest_json(cmd, text, root) or read_jest_output(cmd, text) or read_vitest_output(cmd, text)


def read_jest_json(cmd: str, text: str, root: str = "") -> CommandResults | None:
    """The tests of the first ``jest --json`` report in ``text`` (a line that is a JSON object with a
    ``testResults`` list): ``passed``/``focused`` passed, ``failed`` failed, every other status
    (``pending``, ``skipped``, ``todo``, ``disabled``) skipped. None when there is no such report."""
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{") or '"testResults"' not in line or len(line) > MAX_JSON_CHARS:
            continue
        try:
            report = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(report, dict) and isinstance(report.get("testResults"), list):
            cases = _jest_json_cases(report["testResults"], root)
            return CommandResults(cmd=cmd, source="jest-json", collected=len(cases), cases=cases)
    return None


def _jest_json_cases(files: list, root: str) -> list[TestCase]:
    """The test cases of a Jest JSON report's ``testResults``; entries of the wrong shape are skipped,
    and so are empty ancestor titles (Vitest's file-level suite)."""
    cases: dict[str, TestCase] = {}
    for entry in (f for f in files if isinstance(f, dict)):
        name = entry.get("name") if isinstance(entry.get("name"), str) else ""
        if root and name.startswith(root.rstrip("/") + "/"):
            name = name[len(root.rstrip("/")) + 1:]
        tests = entry.get("assertionResults")
        for test in (t for t in tests if isinstance(t, dict)) if isinstance(tests, list) else ():
            ancestors = test.get("ancestorTitles")
            titles = [a for a in ancestors if isinstance(a, str) and a] if isinstance(ancestors, list) else []
            title, status = test.get("title"), test.get("status")
            if not isinstance(title, str):
                continue
            test_id = " › ".join([name, *titles, title])
            cases[test_id] = TestCase(id=test_id, outcome=_JEST_STATUS.get(status, "skipped")
                                      if isinstance(status, str) else "skipped")
    return list(cases.values())


def read_jest_output(cmd: str, text: str) -> CommandResults | None:
    """The results in Jest's default reporter output: the count from its ``Tests:`` summary lines
    (summed, one per Jest run) and, when the per-test tree names exactly that many tests, each test.
    None when there is no ``Tests:`` line."""
    totals = [int(m["total"]) for m in _JEST_TOTAL.finditer(text) if len(m["total"]) < 10]
    if not totals:
        return None
    cases = _jest_tree(text)
    collected = sum(totals)
    return CommandResults(cmd=cmd, source="jest", collected=collected,
                          cases=cases if len(cases) == collected else [])


def _jest_tree(text: str) -> list[TestCase]:
    """The tests in the ``PASS``/``FAIL <file>`` trees of Jest's verbose output, by indentation."""
    cases: dict[str, TestCase] = {}
    file, blocks = None, []
    for line in text.splitlines():
        header = _JEST_FILE.match(line)
        if header:
            file, blocks = header["file"], []
            continue
        test = _JEST_TEST.match(line) if file else None
        if test:
            depth = len(test["indent"]) // 2 - 1
            title = re.sub(r"^(?:skipped|todo) ", "", test["title"]) if test["mark"] in "○✎" else test["title"]
            test_id = " › ".join([file, *blocks[:depth], title])
            cases[test_id] = TestCase(id=test_id, outcome=_JEST_MARKS[test["mark"]])
            continue
        block = _JEST_BLOCK.match(line) if file else None
        if block:
            depth = len(block["indent"]) // 2 - 1
            blocks = [*blocks[:depth], *[""] * (depth - len(blocks)), block["title"]]
    return list(cases.values())


def read_vitest_output(cmd: str, text: str) -> CommandResults | None:
    """The count in Vitest's summary (``Tests  2 failed | 10 passed (12)``; summed over runs), without
    test names. None when there is no such line."""
    totals = [int(m["total"]) for m in _VITEST_TOTAL.finditer(text) if len(m["total"]) < 10]
    if not totals:
        return None
    return CommandResults(cmd=cmd, source="vitest", collected=sum(totals))
