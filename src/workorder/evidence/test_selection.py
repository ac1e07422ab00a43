"""Run only some tests of a verify command: the FAIL_TO_PASS run touches only the evidence tests and the
tests of the changed test files.

pytest reads extra options from ``PYTEST_ADDOPTS``; ``-p <module>`` loads a plugin by module name from
``sys.path`` (docs.pytest.org/en/stable/how-to/plugins.html). The action writes a small plugin into a
folder of the work tree's results folder (which a sandboxed run can read), puts it on ``PYTHONPATH`` and names the wanted tests in ``WORKORDER_SELECT``
(dotted ids, one a line): the plugin's ``pytest_ignore_collect`` skips the Python files that can hold
none of them, and its ``pytest_collection_modifyitems`` keeps the items whose dotted id is one of them or
starts with one followed by ``.`` or ``[`` and deselects the rest. Other runners run
all their tests (the selection only saves time; results are read by test id either way).
"""

from __future__ import annotations

import shutil
from pathlib import Path

PLUGIN = "workorder_select_plugin"
_PLUGIN_TEXT = '''"""workorder: keep only the tests named in WORKORDER_SELECT (dotted ids, one a line)."""
import os
import re


def _dotted(nodeid):
    path, _, rest = nodeid.partition("::")
    head = re.sub(r"\\.py$", "", path).replace("/", ".")
    return ".".join([head, *[p for p in rest.split("::") if p]])


def pytest_ignore_collect(collection_path, config):
    """Skip collecting a Python file that can hold none of the wanted tests (the run's start-up cost)."""
    wanted = [w for w in os.environ.get("WORKORDER_SELECT", "").splitlines() if w]
    if not wanted or collection_path.suffix != ".py" or not collection_path.is_file():
        return None
    module = _dotted(os.path.relpath(collection_path, config.rootpath).replace(os.sep, "/"))
    if any(w == module or w.startswith((module + ".", module + "[")) or module.startswith(w + ".") for w in wanted):
        return None
    return True


def pytest_collection_modifyitems(config, items):
    wanted = [w for w in os.environ.get("WORKORDER_SELECT", "").splitlines() if w]
    if not wanted:
        return
    keep, drop = [], []
    for item in items:
        dotted = _dotted(item.nodeid)
        hit = any(dotted == w or dotted.startswith((w + ".", w + "[")) for w in wanted)
        (keep if hit else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
'''


class Selection:
    """A plugin folder ``folder`` (made on enter, removed on exit) selecting ``wanted`` (dotted test ids)."""

    def __init__(self, wanted: list[str], folder: Path):
        self.wanted = sorted(set(wanted))
        self.folder: Path | None = folder

    def __enter__(self) -> Selection:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{PLUGIN}.py").write_text(_PLUGIN_TEXT, encoding="utf-8")
        self.folder.chmod(0o755)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """The variables that load the plugin in every pytest the verify commands start, over ``env``
        (nothing to add when nothing is wanted: then every test runs)."""
        if not self.wanted or self.folder is None:
            return {}
        path = ":".join(p for p in (str(self.folder), env.get("PYTHONPATH", "")) if p)
        return {"PYTHONPATH": path, "PYTEST_ADDOPTS": f"{env.get('PYTEST_ADDOPTS', '')} -p {PLUGIN}".strip(),
                "WORKORDER_SELECT": "\n".join(self.wanted)}
