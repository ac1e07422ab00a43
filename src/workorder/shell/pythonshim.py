"""A ``python`` on PATH that is exactly this interpreter, virtual environment included.

A symlink to ``sys.executable`` placed in another folder is not enough: a venv's interpreter finds its
``pyvenv.cfg`` next to the path it was started by, so started through a symlink elsewhere it runs as
the base interpreter without the venv's packages ("No module named 'workorder'"). A two-line shell
script that ``exec``s the real path keeps the venv.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path


def write_python_shim(bin_dir: Path, python: str | None = None) -> Path:
    """Write ``bin_dir/python`` (and ``python3``): shell scripts that exec ``python`` (default:
    ``sys.executable``) with their arguments. Creates ``bin_dir``; replaces old files or symlinks
    there. Returns ``bin_dir``. Raises OSError when the folder cannot be written."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = f'#!/bin/sh\nexec {shlex.quote(python or sys.executable)} "$@"\n'
    for name in ("python", "python3"):
        path = bin_dir / name
        path.unlink(missing_ok=True)
        path.write_text(script, encoding="utf-8")
        path.chmod(0o755)
    return bin_dir
