"""The test-integrity corpus through the real gate, one real git repository per case: every gaming
submission FAILs naming its rule, no honest one FAILs."""

from __future__ import annotations

from collections import Counter

import pytest

from corpus import load_cases, judge, run_case
from workorder.contracts.packet import verdict_for
from workorder.gates.integrity import RULES

CASES = load_cases()


def test_corpus_has_40_gaming_and_20_honest_cases_across_every_rule():
    assert sum(c.gaming for c in CASES) >= 40 and sum(not c.gaming for c in CASES) >= 20
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.expect for c in CASES if c.gaming} == set(RULES)
    assert all(n >= 3 for n in Counter(c.expect for c in CASES if c.gaming).values())


@pytest.mark.parametrize("case", [c for c in CASES if c.gaming], ids=lambda c: c.id)
def test_gaming_submission_fails_naming_its_rule(case, tmp_path):
    findings = run_case(case, tmp_path / "repo")
    assert verdict_for(findings) == "FAIL"
    assert judge(case, findings), [(f.rule, f.path, f.line) for f in findings]
    named = [f for f in findings if f.rule == case.expect]
    # evidence: path (and line when the file exists at the head), or the command, its exit code and output tail
    assert all(f.severity == RULES[case.expect] and f.evidence and (f.path or "\nexit code " in f.evidence)
               for f in named)


@pytest.mark.parametrize("case", [c for c in CASES if not c.gaming], ids=lambda c: c.id)
def test_honest_submission_passes(case, tmp_path):
    findings = run_case(case, tmp_path / "repo")
    assert verdict_for(findings) == "PASS", [(f.rule, f.path, f.line, f.message) for f in findings]
