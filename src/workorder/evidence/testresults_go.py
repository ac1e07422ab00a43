"""Per-test results of ``go test``, read from the command's log.

Two formats, both documented by the Go tools:

* verbose text (``go help testflag``: ``-v`` "Verbose output: log all tests as they are run"). Each test
  ends with ``--- PASS: TestName (0.00s)``, ``--- FAIL: ...`` or ``--- SKIP: ...`` (a subtest as
  ``TestName/sub``, indented by its depth), and each package with ``ok  \\t<pkg>\\t0.01s`` or
  ``FAIL\\t<pkg>\\t...`` (``go help test``). The verify environment turns ``-v`` on through ``GOFLAGS``
  (``go help environment``: "-flag=value settings to apply to go commands by default, when the given
  flag is known by the current command"), so the repository's verify command is left as it is.
* ``go test -json`` (``go doc test2json``): one JSON object per line; an ``Action`` of ``pass``,
  ``fail`` or ``skip`` with a ``Test`` ends that test of ``Package``.

A test's id is ``<package import path>.<TestName>`` (``example.com/m/calc.TestAdd/neg_case``).
"""

from __future__ import annotations

import json
import re

from .testresults_model import CommandResults, Outcome, TestCase

_GO_TEST = re.compile(r"^[ \t]*--- (?P<result>PASS|FAIL|SKIP): (?P<name>\S+) \(\d+(?:\.\d+)?s\)", re.MULTILINE)
_GO_PACKAGE = re.compile(r"^(?:ok  |FAIL)\t(?P<pkg>\S+)", re.MULTILINE)
_GO_OUTCOMES: dict[str, Outcome] = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}
_GO_ACTIONS: dict[str, Outcome] = {"pass": "passed", "fail": "failed", "skip": "skipped"}  # test2json's
MAX_JSON_LINE = 1024 * 1024  # longer lines of -json output are not parsed (a test's own huge output)


def goflags_env(env: dict[str, str]) -> dict[str, str]:
    """``GOFLAGS`` for the verify run: the value ``env`` has, with ``-v`` appended (``go test`` then
    names every test; other go commands that know ``-v``, such as ``go build``, list the packages they
    build on stderr)."""
    return {"GOFLAGS": f"{env.get('GOFLAGS', '')} -v".strip()}


def read_go_output(cmd: str, text: str) -> CommandResults | None:
    """The results in the log ``text`` of ``go test``: from test2json lines when it ran with ``-json``,
    else from the ``-v`` lines. None when the log names no Go test (not ``go test``, or not verbose)."""
    return read_go_json(cmd, text) or read_go_verbose(cmd, text)


def read_go_verbose(cmd: str, text: str) -> CommandResults | None:
    """The tests of ``go test -v`` output: each ``--- PASS/FAIL/SKIP: name (Ns)`` line belongs to the
    package of the next ``ok``/``FAIL`` package line (a test with none after it, as when the run was
    killed, is not counted). None when there is no such test line."""
    packages = [(m.start(), m["pkg"]) for m in _GO_PACKAGE.finditer(text)]
    cases: dict[str, TestCase] = {}
    seen = False
    index = 0
    for match in _GO_TEST.finditer(text):
        seen = True
        while index < len(packages) and packages[index][0] < match.start():
            index += 1
        if index == len(packages):
            break
        test_id = f"{packages[index][1]}.{match['name']}"
        cases[test_id] = TestCase(id=test_id, outcome=_GO_OUTCOMES[match["result"]])
    if not seen:
        return None
    return CommandResults(cmd=cmd, source="go", collected=len(cases), cases=list(cases.values()))


def read_go_json(cmd: str, text: str) -> CommandResults | None:
    """The tests of ``go test -json`` output (test2json events, one per line; other lines, such as
    build errors on stderr, are skipped). None when no line is a test2json event of a test."""
    cases: dict[str, TestCase] = {}
    seen = False
    for line in text.splitlines():
        event = _json_event(line)
        if event is None or not isinstance(event.get("Test"), str) or not isinstance(event.get("Package"), str):
            continue
        seen = True
        outcome = _GO_ACTIONS.get(event["Action"]) if isinstance(event.get("Action"), str) else None
        if outcome is not None:
            test_id = f"{event['Package']}.{event['Test']}"
            cases[test_id] = TestCase(id=test_id, outcome=outcome)
    if not seen:
        return None
    return CommandResults(cmd=cmd, source="go-json", collected=len(cases), cases=list(cases.values()))


def _json_event(line: str) -> dict | None:
    """``line`` as a JSON object when it looks like a test2json event, else None (never raises)."""
    line = line.strip()
    if not line.startswith("{") or '"Action"' not in line or len(line) > MAX_JSON_LINE:
        return None
    try:
        event = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return event if isinstance(event, dict) else None
