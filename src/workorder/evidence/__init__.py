"""What the action itself saw: the diff, its impact, the verify runs and their per-test results."""

from __future__ import annotations

from .. import lazy_face

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


__getattr__ = lazy_face(__name__, _HOMES)
