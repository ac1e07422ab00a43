"""Check that the action's environment matches its lock and runs this action's workorder.

Run by scripts/install.sh with the environment's own interpreter after a restore from the cache and
after a fresh install: ``$RUNNER_TEMP/workorder-venv/bin/python -I scripts/check_venv.py ACTION_PATH``.
The standard library only (plus ``packaging``, from the lock, for environment markers when present).

It checks every ``name==version`` pin of ``ACTION_PATH/action-requirements.txt`` (the format
``uv pip compile --generate-hashes`` writes) against the installed distributions, and that
``import workorder`` loads ``ACTION_PATH/src/workorder``. Exit status 0 when both hold; otherwise 1,
after one line per problem on stdout (shown in the step's log).
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==([^ ;\\]+)(?: *; *([^\\]+?))? *\\?$", re.MULTILINE)


def applies(marker: str | None) -> bool:
    """Whether a pin's environment ``marker`` (text after ``;``, or None) holds for this interpreter;
    True when ``packaging`` (itself a pin) is missing, so its own pin reports the problem."""
    if not marker:
        return True
    try:
        from packaging.markers import Marker
    except ImportError:
        return True
    return Marker(marker).evaluate()


def installed(name: str) -> str:
    """The installed version of distribution ``name``, or ``"none"``."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


def problems(action: Path) -> list[str]:
    """What is wrong with the running environment for the action in folder ``action``: one line per
    pin of its lock installed at another version (or missing), and one when ``workorder`` is not
    imported from ``action/src``; empty when the environment is right."""
    lock = (action / "action-requirements.txt").read_text(encoding="utf-8")
    found = [f"{name} {installed(name)} (lock {pinned})" for name, pinned, marker in PIN.findall(lock)
             if applies(marker) and installed(name) != pinned]
    try:
        import workorder
    except ImportError as exc:
        return [*found, f"import workorder failed: {exc}"]
    source = Path(workorder.__file__).resolve().parent
    if source != (action / "src" / "workorder").resolve():
        found.append(f"workorder comes from {source}, not from {action / 'src' / 'workorder'}")
    return found


def main(argv: list[str]) -> int:
    """Check the environment for the action folder ``argv[1]``; returns the exit status."""
    found = problems(Path(argv[1]))
    for line in found:
        print(f"workorder environment: {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
