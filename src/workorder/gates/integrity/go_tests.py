"""Go tests (``func TestX(t *testing.T)``) read with careful regular expressions."""

from __future__ import annotations

import re

from .brace import blank_comments, block_end, line_of, normalise
from .model import EXACT, LOOSE, TRIVIAL, Assertion, SkipMarker, TestCase, TestFile

_FUNC = re.compile(r"^func\s+(?P<name>Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.MULTILINE)
_SKIP = re.compile(r"\b\w+\.(?:Skip|Skipf|SkipNow)\s*\(")
_BUILD_IGNORE = re.compile(r"^//\s*(?:go:build|\+build)\s+.*\bignore\b.*$", re.MULTILINE)
_FAIL = re.compile(r"\b(?:t\.(?P<t>Error|Errorf|Fatal|Fatalf|Fail|FailNow)|(?:assert|require)\.(?P<testify>\w+))\s*\(")
_EXACT_TESTIFY = {"Equal", "EqualValues", "Exactly", "ErrorIs", "ErrorContains", "JSONEq", "Len", "Panics",
                  "EqualError", "InDelta", "ElementsMatch", "Nil"}
_IF_FALSE = re.compile(r"\bif\s+false\s*\{")


def _assertions(code: str, start: int, end: int) -> tuple[Assertion, ...]:
    found = []
    for match in _FAIL.finditer(code, start, end):
        strength = EXACT if match.group("t") or match.group("testify") in _EXACT_TESTIFY else LOOSE
        opener = code.rfind("{", start, match.start())
        guard = code[code.rfind("\n", start, max(opener, start)) + 1:opener + 1] if opener > 0 else ""
        if match.group("t") and _IF_FALSE.search(guard):
            strength = TRIVIAL
        found.append(Assertion(line_of(code, match.start()), strength, match.group(0).strip()))
    return tuple(found)


def read_go_tests(path: str, text: str) -> TestFile:
    """The ``Test*`` functions of a Go test file with their failure calls (``t.Error*``/``t.Fatal*``,
    testify ``assert``/``require``), and skip markers: ``t.Skip*`` and an ``ignore`` build constraint."""
    code = blank_comments(text)
    tests, skips = [], []
    for match in _FUNC.finditer(code):
        end = block_end(code, match.end())
        body = code[match.end():end]
        name = match.group("name")
        tests.append(TestCase(path=path, key=name, name=name, line=line_of(code, match.start()), body=normalise(body),
                              assertions=_assertions(code, match.end(), end),
                              calls=frozenset(re.findall(r"(\w+)\s*\(", body)) - {"Errorf", "Error", "Fatal", "Fatalf"},
                              constants=frozenset(re.findall(r"""-?\d[\d.]*|"[^"]*\"""", body))))
        skips += [SkipMarker(line_of(code, m.start()), m.group(0) + "...)", name)
                  for m in _SKIP.finditer(code, match.end(), end)]
    skips += [SkipMarker(line_of(text, m.start()), m.group(0), None) for m in _BUILD_IGNORE.finditer(text)]
    return TestFile(tuple(tests), tuple(skips))
