"""The code diff coverage puts into every Python process of the review's verify run (texts written to files).

``HOOK`` is a ``sitecustomize`` (Python imports it at start-up from the folder the probe puts first on
``PYTHONPATH``). It makes one ``coverage.Coverage`` from the rc file ``WORKORDER_COVERAGE_RC`` names (not
``COVERAGE_PROCESS_START``: with that set, the ``a1_coverage.pth`` coverage.py installs starts tracing every
line at start-up, which doubled the run) but does not start it: no line of a changed file can
run before that file is imported, so tracing starts when the import system executes a changed file
(``changed.txt``, absolute paths, one a line; empty: from start-up). Outside pytest it then stays on
(unittest, a Makefile: what ``process_startup`` would have measured). Under pytest ``PLUGIN`` (loaded through
``PYTEST_PLUGINS``, which the hook sets, before any conftest or test module) takes over: tracing runs only while a changed file is imported,
while a test file that reaches a changed file (``related.txt``; ``*``: every test) is collected, and during
those files' tests (setup, call and teardown). Tracing with the C tracer costs about as much again as the
code it traces on Python 3.11, so a suite pays only for the tests that can run the change.
"""

HOOK = '''"""workorder: measure the changed files (diff coverage); never breaks the project's own run."""
import os
import sys


def _setup():
    import atexit
    import types
    from importlib.machinery import SourceFileLoader

    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "changed.txt"), encoding="utf-8") as fh:
        changed = {os.path.realpath(line.strip()) for line in fh if line.strip()}
    with open(os.path.join(here, "related.txt"), encoding="utf-8") as fh:
        related = {line.strip() for line in fh if line.strip()}
    gate = types.ModuleType("_workorder_coverage_gate")
    gate.pytest, gate.depth, gate.cov = False, 0, None

    def enter():  # coverage.py is imported only when something is to be traced
        if gate.cov is None:
            prefix, sys.pycache_prefix = sys.pycache_prefix, None  # read the copy's bytecode (verify's
            try:  # PYTHONPYCACHEPREFIX points nowhere: without this coverage.py compiles on every run)
                import coverage
            finally:
                sys.pycache_prefix = prefix
            gate.cov = coverage.Coverage(config_file=os.environ["WORKORDER_COVERAGE_RC"])
            atexit.register(gate.cov.save)
        if gate.depth == 0:
            gate.cov.start()
        gate.depth += 1

    def leave():
        gate.depth -= 1
        if gate.depth == 0:
            gate.cov.stop()
            current = type(gate.cov).current()
            if current is None or current is gate.cov:  # the C tracer's stop() only flags it: untrace this
                sys.settrace(None)  # thread now, unless a Coverage of the project's own (pytest-cov) runs

    gate.enter, gate.leave = enter, leave
    gate.wants = lambda path: "*" in related or os.path.realpath(path) in related
    sys.modules[gate.__name__] = gate
    plugins = [p for p in os.environ.get("PYTEST_PLUGINS", "").split(",") if p]
    if "workorder_cov_plugin" not in plugins:  # only where this hook ran: its folder is on sys.path
        os.environ["PYTEST_PLUGINS"] = ",".join([*plugins, "workorder_cov_plugin"])
    with open(os.path.join(os.path.dirname(os.environ["WORKORDER_COVERAGE_RC"]), "data.txt"), encoding="utf-8") as fh:
        folder = fh.read().strip()
    with open(os.path.join(folder, "started-%d" % os.getpid()), "w"):  # measured, even if nothing was traced
        pass
    if not changed:
        enter()
        return
    original = SourceFileLoader.exec_module

    def exec_module(self, module):
        if os.path.realpath(self.path) not in changed:
            return original(self, module)
        enter()
        try:
            return original(self, module)
        finally:
            if gate.pytest:
                leave()

    SourceFileLoader.exec_module = exec_module


if os.environ.get("WORKORDER_COVERAGE_RC"):
    try:
        _setup()
    except Exception:  # measuring must never break the project's own run
        pass
'''

PLUGIN = '''"""workorder: under pytest, trace only the tests of files that can run a changed file."""
import sys

import pytest

_gate = sys.modules.get("_workorder_coverage_gate")
if _gate is not None:
    _gate.pytest = True


def _path(node):
    return str(getattr(node, "path", None) or node.fspath)


def _traced(on):
    if on:
        _gate.enter()
    try:
        yield
    finally:
        if on:
            _gate.leave()


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    yield from _traced(_gate is not None and isinstance(collector, pytest.Module) and _gate.wants(_path(collector)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    yield from _traced(_gate is not None and _gate.wants(_path(item)))
'''
