"""Gates on the tests themselves: removed (tests.removed), skipped (tests.skip_added), weakened
(tests.assert_weakened). Each compares the base and head versions of the changed test files."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from ...contracts.packet import Finding
from .go_tests import read_go_tests
from .js_tests import read_js_tests
from .model import TestCase, TestFile
from .policy import JS_SUFFIXES, Policy, is_collected
from .python_tests import read_python_tests
from .report import finding
from .sources import Source


def read_tests(path: str, text: str | None) -> TestFile | None:
    """The tests in ``text`` by the language of ``path``; None for no text or an unknown language."""
    if text is None:
        return None
    if path.endswith(".py"):
        return read_python_tests(path, text)
    if path.endswith(JS_SUFFIXES):
        return read_js_tests(path, text)
    if path.endswith(".go"):
        return read_go_tests(path, text)
    return None


@dataclass
class ChangedTests:
    """The tests of every changed test file, base and head, and how base tests map onto head tests."""

    sources: list[Source]
    policy: Policy

    @cached_property
    def files(self) -> list[tuple[Source, TestFile | None, TestFile | None]]:
        """(source, base tests, head tests) for each changed test file."""
        return [(s, read_tests(s.old_path or s.path, s.base), read_tests(s.path, s.head)) for s in self.sources
                if self.policy.is_test_file(s.path) or (s.old_path and self.policy.is_test_file(s.old_path))]

    @cached_property
    def head_tests(self) -> list[TestCase]:
        """Every test in a head version that its runner collects: in a file named the way the default
        runner collects, or a file modified in place, or renamed from a name the default runner would not
        collect either (the repository then has its own convention)."""
        def counts(s: Source) -> bool:
            return is_collected(s.path) or s.status == "M" or (s.status == "R" and not is_collected(s.old_path or ""))
        return [t for s, _, head in self.files if head and counts(s) for t in head.tests]

    @cached_property
    def _by_place(self) -> dict[tuple[str, str], TestCase]:
        return {(t.path, t.key): t for t in reversed(self.head_tests)}

    @cached_property
    def _by_body(self) -> dict[str, TestCase]:
        return {t.body: t for t in reversed(self.head_tests)}

    @cached_property
    def head_assertions(self) -> Counter[str]:
        """How often each assertion text occurs over all head tests."""
        return Counter(a.text for t in self.head_tests for a in t.assertions)

    def match(self, source: Source, test: TestCase) -> TestCase | None:
        """The head test that continues base ``test``: same key in the file's head version, else the same
        body anywhere in the changed test files (a rename or a move). None when gone."""
        same_place = self._by_place.get((source.path, test.key)) if source.status != "D" else None
        return same_place or self._by_body.get(test.body)

    def covered(self, test: TestCase) -> bool:
        """True when a parametrized head test calls what ``test`` called with all of its literals."""
        return any(c.parametrized and test.calls <= c.calls and test.constants <= c.constants for c in self.head_tests)


def gate_tests_removed(changes: ChangedTests) -> list[Finding]:
    """BLOCKER tests.removed for each base test with no continuation in the head (same key, same body
    under a new name or file, or its inputs folded into a parametrized test), for a test moved to a file
    the runner does not collect, and for a deleted test file in a language the gates cannot read."""
    findings = []
    for source, base, head in changes.files:
        old = source.old_path or source.path
        if base is None and source.base is not None and source.status == "D":
            findings.append(finding("tests.removed", "test_file_removed", old, None, f"{old} deleted", base_path=old))
            continue
        for test in base.tests if base else ():
            match = changes.match(source, test)
            if match is None and not changes.covered(test):
                findings.append(finding("tests.removed", "test_removed", old, None,
                                        f"{old}:{test.line} on the base: {test.key}", test=test.key,
                                        base_path=old, base_line=test.line))
        if base and head and not is_collected(source.path) and is_collected(old) and base.tests:
            findings.append(finding("tests.removed", "test_uncollected", source.path, None,
                                    f"{old} renamed to {source.path}", test=base.tests[0].key))
    return findings


def gate_skip_added(changes: ChangedTests) -> list[Finding]:
    """BLOCKER tests.skip_added for each skip/xfail marker in a head test file that its base version
    did not have (compared as text), unless the work order allows skipping that test."""
    before = Counter(m.text for _, base, _ in changes.files if base for m in base.skips)
    findings = []
    for source, _, head in changes.files:
        for marker in head.skips if head else ():
            if before[marker.text] > 0:
                before[marker.text] -= 1
                continue
            if changes.policy.allows_skip(marker.test):
                continue
            findings.append(finding("tests.skip_added", "skip_added", source.path, marker.line, marker.text,
                                    test=marker.test))
    return findings


def _lost(base: TestCase, head: TestCase, others: Counter[str]) -> bool:
    """True when assertions ``base`` made are gone from ``head`` and from every other head test."""
    kept = Counter(a.text for a in head.assertions)
    return any(kept[a.text] == 0 and others[a.text] == 0 for a in base.assertions)


def gate_assert_weakened(changes: ChangedTests) -> list[Finding]:
    """BLOCKER tests.assert_weakened for each continued test that now makes fewer assertions that can
    fail, fewer exact ones (``assertEqual`` -> ``assertTrue``, ``==`` -> ``!=``/``in``, a named
    exception -> ``Exception``), or an always-true one, unless the lost assertions moved to other tests."""
    findings = []
    for source, base, _ in changes.files:
        for test in base.tests if base else ():
            head = changes.match(source, test)
            if head is None:
                continue
            others = changes.head_assertions - Counter(a.text for a in head.assertions)
            if not _lost(test, head, others):
                continue
            where = head.assertions[0].line if head.assertions else head.line
            evidence = "base: " + "; ".join(a.text for a in test.assertions)[:250] + " | now: " + (
                "; ".join(a.text for a in head.assertions)[:250] or "no assertions")
            if head.real < test.real:
                facts = {"kind": "fewer_assertions", "before": test.real, "after": head.real}
            elif head.exact < test.exact:
                facts = {"kind": "weaker_assertions", "before": test.exact, "after": head.exact}
            elif len(head.assertions) > head.real and len(test.assertions) == test.real:
                facts = {"kind": "trivial_assertion"}
            else:
                continue
            kind = facts.pop("kind")
            findings.append(finding("tests.assert_weakened", kind, source.path, where, evidence, test=test.key, **facts))
    return findings
