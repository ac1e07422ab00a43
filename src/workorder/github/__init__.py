"""GitHubForge: the Forge protocol over GitHub's REST API (PyGithub), one module per group of endpoints.

Only the CLI imports this package (lazily): the loop, the gates and the handlers know GitHub only as
:class:`workorder.contracts.forge.Forge`.
"""

from __future__ import annotations

from .. import lazy_face

# name -> the module of this package that defines it; imported on first use, so importing one module of
# this package never loads the others (start-up stays fast; ``workorder --version`` loads no pydantic).
_HOMES = {
    "failure_kind": "call",
    "DEFAULT_API_URL": "forge", "GitHubForge": "forge",
    "RestProbe": "probe",
    "WorkorderRetry": "retry",
}
__all__ = sorted(_HOMES)


__getattr__ = lazy_face(__name__, _HOMES)
