"""The commands the action runs and the boundary they run behind: proc, gitops, isolation, pythonshim."""

from __future__ import annotations

from .. import lazy_face

# name -> the module of this package that defines it; imported on first use, so importing one module of
# this package never loads the others (start-up stays fast; ``workorder --version`` loads no pydantic).
_HOMES = {
    "Git": "gitops", "GitError": "gitops", "basic_auth_header": "gitops",
    "Sandbox": "isolation",
    "run_shell": "proc",
    "write_python_shim": "pythonshim",
}
__all__ = sorted(_HOMES)


__getattr__ = lazy_face(__name__, _HOMES)
