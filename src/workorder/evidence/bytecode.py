"""Which Python bytecode a verify run may read: none from the tree it tests, the installed packages' own.

Python trusts a ``__pycache__/*.pyc`` beside a source by the source's mtime and size (or not at all: an
"unchecked-hash" .pyc, PEP 552), so bytecode the agent left in its work tree (its own test runs; a same-size
fix made in the same second; a .pyc it wrote or committed on purpose) would be tested in place of the source
the diff shows. Until issue 19's cost budget the action set ``PYTHONPYCACHEPREFIX`` to a path that cannot
exist, so every run compiled everything from source, the test runner and its plugins included: about 0.7 s
of CPU per pytest process of the review (verify, the base-source run, the held-out run), each compiling the
same installed files again. Now, before each command, every ``__pycache__`` under the tree the command runs
in is deleted (outside ``.git`` and the action's own results folder, whose coverage.py copy the action made),
and Python reads the bytecode of installed packages and the standard library as usual
(``PYTHONDONTWRITEBYTECODE`` stays: the run writes none). What lies outside the tree is no more the agent's
than the sources beside it (a sandboxed agent cannot write there; an unsandboxed one could change the
sources too). When a ``__pycache__`` cannot be deleted the run falls back to the old prefix: nothing read.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .testresults import RESULTS_DIR

NO_BYTECODE_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/dev/null/workorder-no-pycache"}
CLEARED_TREE_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}
_SKIP = {".git", RESULTS_DIR}


def clear_tree_bytecode(tree: Path) -> bool:
    """Delete every ``__pycache__`` (folder, file or link; links are removed, never followed) under ``tree``
    outside ``.git`` folders and the top-level results folder. Returns True when none is left, False when
    one could not be deleted, ``tree`` cannot be walked, or a link in it leads to a folder outside it (whose
    bytecode the run could read). Never raises for a file system error."""
    failed: list[OSError] = []
    tree = Path(tree)
    inside = os.path.realpath(tree) + os.sep
    for folder, dirs, files in os.walk(tree, onerror=failed.append):
        top = Path(folder) == tree
        if any(os.path.islink(os.path.join(folder, d)) and not os.path.realpath(os.path.join(folder, d)).startswith(inside)
               for d in dirs):
            return False  # a folder outside the tree, reached through a link: its bytecode is not ours to delete
        for name in [*dirs, *files]:
            if name != "__pycache__":
                continue
            path = Path(folder, name)
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except OSError:
                return False
        dirs[:] = [d for d in dirs if d != "__pycache__" and d != ".git" and not (top and d in _SKIP)]
    return not failed


def bytecode_env(tree: Path) -> dict[str, str]:
    """The variables that decide what bytecode a verify command running in ``tree`` reads: the tree's own
    bytecode deleted (:func:`clear_tree_bytecode`), installed packages' read (``CLEARED_TREE_ENV``), or, when
    the tree's could not be deleted, none at all (``NO_BYTECODE_ENV``)."""
    return dict(CLEARED_TREE_ENV if clear_tree_bytecode(tree) else NO_BYTECODE_ENV)
