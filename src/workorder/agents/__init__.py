"""Running an agent CLI under the contract: the SE runner (runner) and the LLM PO reviewer (reviewer)."""

from __future__ import annotations

from .. import lazy_face

# name -> the module of this package that defines it; imported on first use, so importing one module of
# this package never loads the others (start-up stays fast; ``workorder --version`` loads no pydantic).
_HOMES = {
    "run_llm_reviewer": "reviewer",
    "RunnerOutcome": "runner", "RunnerSpec": "runner", "redact": "runner", "run_se_runner": "runner",
    "scrub_environment": "runner",
}
__all__ = sorted(_HOMES)


__getattr__ = lazy_face(__name__, _HOMES)
