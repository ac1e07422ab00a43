"""What the language readers extract from a file version: tests, their assertions and skip markers."""

from __future__ import annotations

from dataclasses import dataclass, field

# Assertion strength: 0 always true, 1 loose (truthiness, membership, inequality, "raises Exception"),
# 2 exact (equality, identity, a named exception, called-with).
TRIVIAL, LOOSE, EXACT = 0, 1, 2


@dataclass(frozen=True)
class Assertion:
    """One assertion in a test: head or base ``line``, ``strength`` (0-2) and its source ``text``."""

    line: int
    strength: int
    text: str


@dataclass(frozen=True)
class SkipMarker:
    """A skip/xfail marker at ``line`` (``text`` as written) applying to test ``test`` (None: a file)."""

    line: int
    text: str
    test: str | None


@dataclass(frozen=True)
class TestCase:
    """One test function. ``key`` identifies it in its file ("TestCls.test_x", "suite > adds");
    ``name`` is the bare name a work order would use; ``body`` a normalised fingerprint of its code;
    ``calls``/``constants`` what it calls and the literals it uses (with its parametrize rows);
    ``parametrized`` True when rows of inputs feed it."""

    path: str
    key: str
    name: str
    line: int
    body: str
    assertions: tuple[Assertion, ...] = ()
    calls: frozenset[str] = field(default_factory=frozenset)
    constants: frozenset[str] = field(default_factory=frozenset)
    parametrized: bool = False

    @property
    def exact(self) -> int:
        """How many exact assertions the test makes."""
        return sum(1 for a in self.assertions if a.strength == EXACT)

    @property
    def real(self) -> int:
        """How many assertions that can fail the test makes."""
        return sum(1 for a in self.assertions if a.strength > TRIVIAL)


@dataclass(frozen=True)
class TestFile:
    """The tests and skip markers of one file version (``parsed`` False when it could not be read)."""

    tests: tuple[TestCase, ...] = ()
    skips: tuple[SkipMarker, ...] = ()
    parsed: bool = True
