"""A local forge (a JSON file) and the local milestone run, for the CLI loop and the demo."""

from __future__ import annotations

from .. import lazy_face

# name -> the module of this package that defines it; imported on first use, so importing one module of
# this package never loads the others (start-up stays fast; ``workorder --version`` loads no pydantic).
_HOMES = {
    "LocalForge": "forge",
    "LocalRunError": "plan",
    "publish_branches": "run", "run_milestone": "run",
}
__all__ = sorted(_HOMES)


__getattr__ = lazy_face(__name__, _HOMES)
