"""The work-order loop: phases, SE phase, PO review, verdict, state and labels, and the one publisher."""

from __future__ import annotations

from importlib import import_module

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


def __getattr__(name: str) -> object:
    """``from workorder.loop import X``: ``X`` from the module that defines it (see ``_HOMES``).
    Raises AttributeError for a name this face does not export."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)
