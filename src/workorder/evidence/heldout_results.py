"""The held-out acceptance tests' run, as the review saw it: which files were put back and their results.

The run is :mod:`workorder.loop.heldout_run`'s, the verdict :mod:`workorder.gates.heldout`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from .testresults_model import TestResults


@dataclass(frozen=True)
class HeldOut:
    """The held-out run: the test files (``paths``) and the results of their tests (``results``)."""

    paths: tuple[str, ...]
    results: TestResults

    def modules(self) -> tuple[str, ...]:
        """Dotted module names of the Python held-out files (how their test ids start)."""
        return tuple(p[:-3].replace("/", ".") for p in self.paths if p.endswith(".py"))

    def cases(self):
        """The test cases of the held-out files, over every command."""
        mods = self.modules()
        return [c for c in self.results.cases if c.id.startswith(tuple(m + "." for m in mods))]
