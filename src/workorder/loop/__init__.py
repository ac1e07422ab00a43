"""The work-order loop: phases, SE phase, PO review, verdict, state and labels, and the one publisher."""

from __future__ import annotations

from .. import lazy_face

# name -> the module of this package that defines it; imported on first use, so importing one module of
# this package never loads the others (start-up stays fast; ``workorder --version`` loads no pydantic).
_HOMES = {
    "Journal": "audit",
    "LoopDeps": "deps",
    "WorkOrderLoop": "engine",
    "Publisher": "publisher",
    "branch_name": "start", "is_resumable": "start",
    "LabelNames": "state", "STATUS_CONTEXT": "state", "State": "state", "TrackingState": "state",
    "Tracker": "tracking",
}
__all__ = sorted(_HOMES)


__getattr__ = lazy_face(__name__, _HOMES)
