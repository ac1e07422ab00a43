"""Benchmarks run in one process: pyproject's addopts spread the test suite over every core with
pytest-xdist (``-n auto``), but timings taken beside another worker are not comparable, pytest-benchmark
turns itself off under xdist, and ``-s`` (which several benchmarks use to print their tables) shows
nothing from a worker."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Takes the run's ``config`` before pytest-xdist reads it and sets ``-n 0`` (no workers).
    Returns nothing; pytest calls this for the conftest of a directory named on the command line."""
    if hasattr(config.option, "numprocesses"):
        config.option.numprocesses = 0
        config.option.dist = "no"
