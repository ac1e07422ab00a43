"""The shapes of per-test results (:mod:`workorder.evidence.testresults` reads them): one :class:`TestCase`
per test, :class:`CommandResults` per verify command, :class:`TestResults` per verify run."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

Outcome = Literal["passed", "failed", "error", "skipped"]


class TestCase(BaseModel):
    """One test as the runner reported it: dotted ``id``, pytest ``nodeid`` when known, ``outcome``."""

    __test__ = False  # not a pytest test class
    id: str
    outcome: Outcome
    nodeid: str | None = None

    @property
    def label(self) -> str:
        """The name people know the test by: the pytest node id when known, else the dotted id."""
        return self.nodeid or self.id


class CommandResults(BaseModel):
    """The results of one verify command: ``collected`` tests in all, ``cases`` one per test when the
    runner named them (empty when only the count is known: unittest without ``-v``, Jest without
    ``--verbose`` on several files, Vitest's summary). ``source`` names the format they were read from."""

    cmd: str
    source: Literal["junit", "unittest", "go", "go-json", "jest", "jest-json", "vitest"]
    collected: int = Field(ge=0)
    cases: list[TestCase] = Field(default_factory=list)

    @property
    def names_tests(self) -> bool:
        """True when the results name each test (not only a count)."""
        return bool(self.cases) or self.collected == 0


class TestResults(BaseModel):
    """The results of one verify run: one :class:`CommandResults` per command whose results were read."""

    __test__ = False
    commands: list[CommandResults] = Field(default_factory=list)
    exit_codes: dict[str, int | None] = Field(
        default_factory=dict, description="each verify command's exit code (None: timed out); empty in old records")

    def of(self, cmd: str) -> CommandResults | None:
        """The results of verify command ``cmd`` (whitespace-insensitive), or None when unknown."""
        key = " ".join(cmd.split())
        return next((c for c in self.commands if " ".join(c.cmd.split()) == key), None)

    @property
    def cases(self) -> list[TestCase]:
        """Every named test of every command."""
        return [case for command in self.commands for case in command.cases]

    def matching(self, ref: str) -> list[TestCase]:
        """The tests that ``ref`` (a node id, a test file, a dotted id, module or class) names; a Go id
        (``example.com/calc.TestAdd``, its subtests ``/...``) or a Jest id (``src/a.test.js › adds``, a
        describe block's tests ``› ...``) is also matched as written, since its ``/`` is not a folder."""
        key, raw = normalise_test_id(ref), " ".join(ref.split())
        return [c for c in self.cases if c.id in (key, raw)
                or c.id.startswith((key + ".", key + "[", raw + "/", raw + " › "))]


def normalise_test_id(ref: str) -> str:
    """``ref`` as a dotted test id: ``tests/test_a.py::C::test_x[1]`` and ``tests.test_a.C.test_x[1]``
    both give ``tests.test_a.C.test_x[1]``; a file ``tests/test_a.py`` gives the module ``tests.test_a``
    (the mangling of pytest's JUnit writer, ``mangle_test_address``)."""
    path, bracket, params = ref.strip().partition("[")
    names = path.split("::")
    head = names[0].replace("\\", "/").removeprefix("./")
    if "/" in head or head.endswith(".py") or len(names) > 1:
        head = re.sub(r"\.py$", "", head).replace("/", ".")
    return ".".join([head, *names[1:]]) + bracket + params


class VerifyRun(BaseModel):
    """One verify command as the action ran it.

    exit_code is None when it timed out; duration_s in seconds; output_tail is the end of its output.
    """

    cmd: str
    exit_code: int | None
    duration_s: float
    timed_out: bool = False
    output_tail: str = Field(default="", repr=False)

    @property
    def passed(self) -> bool:
        """True when it exited 0 within its timeout."""
        return self.exit_code == 0 and not self.timed_out
