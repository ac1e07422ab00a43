"""Per-test results of the action's own verify run: which tests ran, and which passed.

Where the tool gives them, results are structured: pytest writes JUnit XML when the verify environment
sets ``PYTEST_ADDOPTS=--junitxml=<file>`` (pytest reads extra options from that variable; ``-o
junit_family=xunit1`` keeps the ``file`` attribute of each ``<testcase>``). Other runners are read from
the command's log: ``python -m unittest`` has no report option, but its ``-v`` output names each test
(``test_a (pkg.mod.Class.test_a) ... ok``) and its summary line ``Ran N tests`` gives the count;
``go test`` names each test in verbose mode, which the verify environment turns on through ``GOFLAGS``,
or as test2json events with ``-json`` (:mod:`workorder.evidence.testresults_go`); Jest's ``--json`` report, its
verbose tree or its ``Tests:`` count, and Vitest's count (:mod:`workorder.evidence.testresults_js`). A command
whose results cannot be read has none (unknown); one whose tests are counted but not named has only
the count.

Test ids are dotted, the form both Python runners share: ``tests.test_calc.TestAdd.test_add[1]``
(pytest's node id ``tests/test_calc.py::TestAdd::test_add[1]`` becomes this the way pytest's own JUnit
writer names a test); :func:`normalise_test_id` turns a node id, a file or a dotted id into that form.
Go tests are ``<package>.<TestName>``, Jest tests ``<file> › <describe> › <title>``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from .testresults_go import goflags_env, read_go_output
from .testresults_js import read_js_output
from .testresults_model import (
    CommandResults,
    Outcome,
    TestCase,
    TestResults,
    normalise_test_id,
)

if TYPE_CHECKING:
    from .testresults_model import VerifyRun

__all__ = ["CommandResults", "Outcome", "TestCase", "TestResults", "collect_results", "normalise_test_id",
           "read_junit", "read_log", "read_unittest_output", "report_env"]

RESULTS_DIR = ".workorder-results"  # in the work tree: the one place a sandboxed verify run may write
MAX_REPORT_BYTES = 16 * 1024 * 1024  # larger reports are not read (Python's expat refuses entity bombs)
_UNITTEST_START = re.compile(r"^(?P<name>\w+) \((?P<where>[\w.]+)\)(?:\n[^\n]*?)? \.\.\. (?P<rest>[^\n]*)", re.MULTILINE)
_UNITTEST_FAILED = re.compile(r"^(?P<kind>FAIL|ERROR): (?P<name>\w+) \((?P<where>[\w.]+)\)", re.MULTILINE)
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in ", re.MULTILINE)


def report_env(env: dict[str, str], worktree: Path, index: int) -> dict[str, str]:
    """The variables that make verify command number ``index`` (1-based) report its tests:
    ``PYTEST_ADDOPTS`` with ``-o junit_family=xunit1 --junitxml=<file>`` (pytest's JUnit report, in the
    work tree) and ``GOFLAGS`` with ``-v`` (``go test`` names each test in its output), each appended
    to any value ``env`` already has."""
    report = worktree / RESULTS_DIR / f"junit-{index}.xml"
    extra = f"-o junit_family=xunit1 --junitxml={shlex.quote(str(report))}"
    return {"PYTEST_ADDOPTS": f"{env.get('PYTEST_ADDOPTS', '')} {extra}".strip(), **goflags_env(env)}


def read_junit(text: str | bytes) -> list[TestCase]:
    """The test cases of a JUnit XML report (pytest's, xunit1 or xunit2): a ``<failure>`` child is
    failed, ``<error>`` error, ``<skipped>`` skipped, none passed. Raises ``ET.ParseError`` for text
    that is not XML."""
    cases = []
    for element in ET.fromstring(text).iter("testcase"):
        classname, name = element.get("classname", ""), element.get("name", "")
        tags = {child.tag for child in element}
        outcome: Outcome = ("error" if "error" in tags else "failed" if "failure" in tags
                            else "skipped" if "skipped" in tags else "passed")
        cases.append(TestCase(id=f"{classname}.{name}" if classname else name, outcome=outcome,
                              nodeid=_nodeid(classname, name, element.get("file"))))
    return cases


def _nodeid(classname: str, name: str, file: str | None) -> str | None:
    """pytest's node id from an xunit1 ``<testcase>``'s classname, name and file, when they agree."""
    if not file or not file.endswith(".py"):
        return None
    module = file[:-3].replace("/", ".")
    if classname != module and not classname.startswith(module + "."):
        return None
    classes = [c for c in classname[len(module):].split(".") if c]
    return "::".join([file, *classes, name])


def read_unittest_output(cmd: str, text: str) -> CommandResults | None:
    """The results in ``python -m unittest`` output: the count from its last ``Ran N tests`` line and,
    with ``-v``, each test from its ``name (id) ... `` line. A test is failed or error when a ``FAIL:``
    or ``ERROR:`` header names it, skipped when ``skipped`` or ``expected failure`` follows its dots,
    failed on ``unexpected success``, else passed (output the test prints may sit between its dots and
    ``ok``). None when the output has no count."""
    ran = _UNITTEST_RAN.findall(text)
    if not ran:
        return None
    failed = {_unittest_id(m["name"], m["where"]): m["kind"] for m in _UNITTEST_FAILED.finditer(text)}
    cases: dict[str, TestCase] = {}
    for match in _UNITTEST_START.finditer(text):
        test_id = _unittest_id(match["name"], match["where"])
        rest = match["rest"]
        outcome: Outcome = ("error" if failed.get(test_id) == "ERROR" else "failed" if test_id in failed
                            else "skipped" if rest.startswith(("skipped", "expected failure"))
                            else "failed" if rest.startswith("unexpected success") else "passed")
        cases[test_id] = TestCase(id=test_id, outcome=outcome)
    return CommandResults(cmd=cmd, source="unittest", collected=int(ran[-1]), cases=list(cases.values()))


def _unittest_id(name: str, where: str) -> str:
    """The dotted id of a unittest test from its description: Python 3.11+ prints the full id in the
    parentheses, older versions only the class."""
    return where if where.endswith("." + name) else f"{where}.{name}"


def read_bounded(path: Path | str, limit: int = MAX_REPORT_BYTES) -> bytes | None:
    """The bytes of regular file ``path``, or None when it is missing, a symlink, not a regular file (a FIFO
    never blocks the read: opened non-blocking) or over ``limit`` bytes (default MAX_REPORT_BYTES)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        return fh.read(limit + 1)[:limit]


def read_log(cmd: str, text: str, root: str = "") -> CommandResults | None:
    """The results in the log ``text`` of verify command ``cmd`` (run in the work tree ``root``), the
    first runner's that is there: unittest, ``go test``, Jest or Vitest. None when none is."""
    return read_unittest_output(cmd, text) or read_go_output(cmd, text) or read_js_output(cmd, text, root)


def collect_results(worktree: Path, log_dir: Path, runs: list[VerifyRun]) -> TestResults:
    """Read the results of ``runs`` (run with :func:`report_env` in ``worktree``, logs in ``log_dir``
    as ``verify-<n>.log``): each command's JUnit report if it wrote one (copied to ``log_dir``), else
    what :func:`read_log` finds in its log. Removes the reports from the work tree. Never raises for a
    bad report or log: that command's results are unknown."""
    commands = []
    for index, run in enumerate(runs, start=1):
        reports = worktree / RESULTS_DIR
        data = None if reports.is_symlink() else read_bounded(reports / f"junit-{index}.xml")
        result = None
        if data is not None:
            (log_dir / f"junit-{index}.xml").write_bytes(data)
            try:
                cases = read_junit(data)
                result = CommandResults(cmd=run.cmd, source="junit", collected=len(cases), cases=cases)
            except (ET.ParseError, ValueError, LookupError):
                result = None
        else:
            log = read_bounded(log_dir / f"verify-{index}.log")
            result = read_log(run.cmd, log.decode("utf-8", "replace"), str(worktree)) if log is not None else None
        if result is not None:
            commands.append(result)
    shutil.rmtree(worktree / RESULTS_DIR, ignore_errors=True)
    return TestResults(commands=commands, exit_codes={
        r.cmd: None if getattr(r, "timed_out", False) else getattr(r, "exit_code", None) for r in runs})
