"""JavaScript/TypeScript tests (jest, vitest, mocha, node:test) read with careful regular expressions."""

from __future__ import annotations

import re

from .brace import blank_comments, block_end, line_of, normalise
from .model import EXACT, LOOSE, TRIVIAL, Assertion, SkipMarker, TestCase, TestFile

_TEST = re.compile(r"""(?<![\w.])(x?(?:it|test))(?:\.(only|concurrent|skip|todo|failing))?\s*\(\s*(['"`])(?P<name>.+?)\3""")
_SKIP = re.compile(r"""(?<![\w.])(?:(?:it|test|describe|suite)\.(?:skip|todo|skipIf\([^)]*\))|x(?:it|test|describe))\s*\((?:\s*(['"`])(?P<name>.+?)\1)?""")
_EXPECT = re.compile(r"(?<![\w.])expect\s*\((?P<arg>[^()]*(?:\([^()]*\)[^()]*)*)\)(?P<chain>(?:\s*\.\s*\w+)+)\s*\(")
_ASSERT = re.compile(r"(?<![\w.])assert(?:\.(?P<method>\w+))?\s*\(")
_EXACT_MATCHERS = {"toBe", "toEqual", "toStrictEqual", "toMatchObject", "toHaveBeenCalledWith", "toBeCloseTo",
                   "toHaveLength", "toMatch", "toThrow", "toThrowError", "toHaveProperty", "rejects", "resolves",
                   "toMatchInlineSnapshot", "toHaveBeenCalledTimes", "toBeNull", "toBeUndefined"}
_EXACT_ASSERTS = {"equal", "strictEqual", "deepEqual", "deepStrictEqual", "throws", "rejects", "match"}
_LITERAL = re.compile(r"""^\s*(true|false|null|undefined|-?\d[\d.]*|(['"`]).*\2)\s*$""")


def _expect_strength(arg: str, chain: str, text: str, end: int) -> int:
    matchers = [m for m in re.findall(r"\w+", chain)]
    if _LITERAL.match(arg):
        return TRIVIAL
    if "not" in matchers:
        return LOOSE
    last = matchers[-1] if matchers else ""
    if last in ("toThrow", "toThrowError") and text[end:end + 1] == ")":
        return LOOSE  # toThrow() with no expected error
    return EXACT if last in _EXACT_MATCHERS or "resolves" in matchers or "rejects" in matchers else LOOSE


def _assertions(text: str, start: int, end: int) -> tuple[Assertion, ...]:
    found = []
    for match in _EXPECT.finditer(text, start, end):
        strength = _expect_strength(match.group("arg"), match.group("chain"), text, match.end())
        found.append(Assertion(line_of(text, match.start()), strength, match.group(0).strip()))
    for match in _ASSERT.finditer(text, start, end):
        method = match.group("method") or "ok"
        strength = EXACT if method in _EXACT_ASSERTS else LOOSE
        rest = text[match.end():match.end() + 6]
        if method == "ok" and rest.startswith("true"):
            strength = TRIVIAL
        found.append(Assertion(line_of(text, match.start()), strength, match.group(0).strip()))
    return tuple(sorted(found, key=lambda a: a.line))


def read_js_tests(path: str, text: str) -> TestFile:
    """The ``it``/``test`` cases of a JS/TS file (keyed by title), their ``expect``/``assert``
    assertions, and every skip marker (``it.skip``, ``test.skip``, ``describe.skip``, ``xit``,
    ``xdescribe``, ``.todo``, ``.skipIf``)."""
    code = blank_comments(text)
    tests = []
    for match in _TEST.finditer(code):
        end = block_end(code, match.end())
        body = code[match.end():end]
        calls = frozenset(re.findall(r"(\w+)\s*\(", body)) - {"expect", "assert", "it", "test"}
        constants = frozenset(re.findall(r"""-?\d[\d.]*|(?:'[^']*'|"[^"]*")""", body))
        tests.append(TestCase(path=path, key=match.group("name"), name=match.group("name"),
                              line=line_of(code, match.start()), body=normalise(body),
                              assertions=_assertions(code, match.end(), end), calls=calls, constants=constants,
                              parametrized=".each" in code[max(0, match.start() - 200):match.start()]))
    skips = [SkipMarker(line_of(code, m.start()), m.group(0).strip(), m.group("name")) for m in _SKIP.finditer(code)]
    return TestFile(tuple(tests), tuple(skips))
