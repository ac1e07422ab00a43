"""The fast tier's fuzz run: every test of test_fuzz.py on a twentieth of its seeded corpus (about 500 of
10,160 examples). The full corpus is marked ``slow`` and runs in .ci/run (``-m "agents or slow"``)."""

from __future__ import annotations

import pytest

import test_fuzz
from test_fuzz import *  # noqa: F401,F403 (the tests and their fixtures, collected here too)

pytestmark: list = []  # not the full run's `slow` mark
SMOKE = 0.05


@pytest.fixture(autouse=True)
def smoke_corpus(monkeypatch):
    """A twentieth of each corpus (at least one example)."""
    monkeypatch.setattr(test_fuzz, "SCALE", SMOKE)
