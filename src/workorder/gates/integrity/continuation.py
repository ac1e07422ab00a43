"""When a changed test continues a base test: the rules :class:`.tests_gates.ChangedTests` adds to "same
name" and "same body".

* *Extended*: a test new in the head (its key is not in its file's base version) that keeps every
  assertion of the base test word for word and calls at least what it called, with more added (a test
  renamed while its body grew: old checks kept, new ones added).
* *Folded*: a parametrized head test that calls what the base test called with every literal it used
  (its inputs and expected values moved into the parametrize rows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .model import TestCase


def extends(base: TestCase, head: TestCase) -> bool:
    """True when ``head`` keeps every assertion of ``base`` (as text, with multiplicity) and its calls;
    False for a base test without assertions (nothing to keep)."""
    if not base.assertions:
        return False
    kept = Counter(a.text for a in head.assertions)
    return not (Counter(a.text for a in base.assertions) - kept) and base.calls <= head.calls


def extended_in(base: TestCase, candidates: Iterable[TestCase]) -> TestCase | None:
    """The first of ``candidates`` (tests new in the head) that :func:`extends` ``base``, or None."""
    return next((c for c in candidates if extends(base, c)), None)


def folded(base: TestCase, head: TestCase) -> bool:
    """True when parametrized ``head`` calls what ``base`` called with every literal ``base`` used."""
    return head.parametrized and base.calls <= head.calls and base.constants <= head.constants
