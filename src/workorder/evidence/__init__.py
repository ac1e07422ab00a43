"""What the action itself saw: the diff, its impact, the verify runs and their per-test results."""

from __future__ import annotations

from importlib import import_module

# name -> the module of this package that defines it; imported on first use, so importing one module of
# this package never loads the others (start-up stays fast; ``workorder --version`` loads no pydantic).
_HOMES = {
    "Diff": "diff", "read_diff": "diff", "read_patch": "diff",
    "Impact": "impact", "measure_impact": "impact",
    "collect_results": "testresults",
    "TestResults": "testresults_model", "VerifyRun": "testresults_model",
    "run_verify_commands": "verify",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    """``from workorder.evidence import X``: ``X`` from the module that defines it (see ``_HOMES``).
    Raises AttributeError for a name this face does not export."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)
