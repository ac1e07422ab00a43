"""Link the action's environment to this action's workorder, then check it against the lock.

Run by scripts/install.sh with the environment's own interpreter after a restore from the cache and
after a fresh install: ``$RUNNER_TEMP/workorder-venv/bin/python -I scripts/link_venv.py ACTION_PATH``.
The standard library only.

The environment holds the locked dependencies only; workorder runs from ``ACTION_PATH/src``, which
changes with every version of the action while the cached environment does not. So on every run it
writes ``workorder-action.pth`` (that folder, on the environment's path) into the environment's
site-packages and the ``workorder`` launcher into its ``bin`` (what pip writes for the
``[project.scripts]`` entry ``workorder.cli:main``). Then it checks every ``name==version`` pin of
``ACTION_PATH/action-requirements.txt`` (the format ``uv pip compile --generate-hashes`` writes)
against the installed distributions, and that ``import workorder`` loads ``ACTION_PATH/src/workorder``.
Exit status 0 when both hold; otherwise 1, after one line per problem on stdout (the step's log).
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==([^ ;\\]+)(?: *; *([^\\]+?))? *\\?$", re.MULTILINE)


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
    # a pin with an environment marker (cffi's "platform_python_implementation != 'PyPy'") may be absent:
    # uv skipped it; evaluating markers would import packaging, a third of this script's time
    found = [f"{name} {installed(name)} (lock {pinned})" for name, pinned, marker in PIN.findall(lock)
             if installed(name) != pinned and not (marker and installed(name) == "none")]
    try:
        import workorder
    except ImportError as exc:
        return [*found, f"import workorder failed: {exc}"]
    source = Path(workorder.__file__).resolve().parent
    if source != (action / "src" / "workorder").resolve():
        found.append(f"workorder comes from {source}, not from {action / 'src' / 'workorder'}")
    return found


LAUNCHER = "#!{python}\nimport sys\nfrom workorder.cli import main\nsys.exit(main())\n"


def link(action: Path) -> None:
    """Put ``action/src`` on the running environment's path (``workorder-action.pth`` in its
    site-packages) and write its ``bin/workorder`` launcher; raises OSError when it cannot write."""
    Path(sysconfig.get_path("purelib"), "workorder-action.pth").write_text(f"{action / 'src'}\n", encoding="utf-8")
    launcher = Path(sysconfig.get_path("scripts"), "workorder")
    launcher.write_text(LAUNCHER.format(python=Path(sysconfig.get_path("scripts"), "python")), encoding="utf-8")
    os.chmod(launcher, 0o755)


def main(argv: list[str]) -> int:
    """Link, then check, the environment for the action folder ``argv[1]``; returns the exit status."""
    action = Path(argv[1]).resolve()
    link(action)
    sys.path.append(str(action / "src"))   # a .pth file is read at start-up only
    found = problems(action)
    for line in found:
        print(f"workorder environment: {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
