"""Shared parts of the workshop tests against the real CLIs (tests/agents/test_workshop_*.py).

The CLIs run as the agent user behind the credential boundary (``isolation: user``), so they must be
where that user can read them: :func:`open_copy` copies the cached install into a world-readable
folder (the cache lives in the action's HOME, which is 0700). The "outside host" is a local HTTP server
on another loopback address (127.0.0.3); "another run's proxy" is a second model proxy of the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from agents.cli_install import cache_root, installed_cli

from workorder.presets import PRESETS
from workorder.shell.pythonshim import write_python_shim

OPEN = Path(tempfile.gettempdir()) / "wo-agents"
HERE = Path(__file__).parent
SYSTEM_PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")


def open_copy(preset: str) -> Path:
    """The executable of ``preset``'s CLI in a folder every user can read (copied once from the cache;
    for aider a virtual environment of the system python, which the agent user can run)."""
    spec = PRESETS[preset]
    exe = installed_cli(preset) if spec.install.manager == "npm" else None
    if exe is not None:
        folder = exe.parents[2]
        target = OPEN / "npm" / folder.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-a", str(folder), str(target)], check=True)
        return target / exe.relative_to(folder)
    target = OPEN / "pip" / f"{spec.install.package}=={spec.install.version}"
    if not (target / "bin" / spec.executable).exists():
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(target)], check=True)
        subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        f"{spec.install.package}=={spec.install.version}"], check=True)
    for folder in (OPEN, *OPEN.iterdir()):
        folder.chmod(0o755)
    assert cache_root()
    return target / "bin" / spec.executable


def open_folder() -> Path:
    """A new folder the agent user may traverse, with the probe and a ``python`` shim (the system's)."""
    base = Path(tempfile.mkdtemp(prefix="workorder-workshop-"))
    base.chmod(0o755)
    shutil.copy(HERE / "workshop_probe.py", base / "workshop_probe.py")
    write_python_shim(base / "bin", SYSTEM_PYTHON)
    return base


class OutsideHost:
    """An HTTP server on 127.0.0.3 that must never be reached; ``hits`` counts requests."""

    def __init__(self) -> None:
        self.hits = 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                host.hits += 1
                self.send_response(200)
                self.send_header("content-length", "7")
                self.end_headers()
                self.wfile.write(b"reached")

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.3", 0), Handler)
        self.url = f"http://127.0.0.3:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def probe_report(text: str) -> dict:
    """The probe's report from a tool result's text."""
    line = next(line for line in text.splitlines() if line.startswith("PROBE "))
    return json.loads(line[len("PROBE "):])


def assert_contained(report: dict, key: str, placeholder: bool = True, proxy_refusal: bool = True) -> None:
    """What the workshop must hold: no key anywhere the agent can read (its key variables hold the
    placeholder, when the CLI passes them to its commands: ``placeholder``); the outside host refused by
    the egress proxy (``proxy_refusal``; else not reached at all: codex's own sandbox takes the network
    away from its commands) and unreachable directly; no internet; another run's proxy not reached; git works."""
    assert report["own_env"] == {} and report["proc_with_key"] == [], report
    assert bool(report["placeholders"]) is placeholder, report["placeholders"]
    assert key not in json.dumps(report)
    via = report["outside_via_proxy"]
    assert (via["status"] == 403 and "network.allow" in via["body"]) if proxy_refusal else via["status"] in (None, 403), via
    assert report["outside_direct"]["status"] is None
    assert report["other_proxy"]["status"] in (None, 403), report["other_proxy"]
    assert any(w in report["internet"].lower() for w in ("unreachable", "refused", "not permitted")), report["internet"]
    assert report["git status"]["exit_code"] == 0 and report["git log"]["out"].strip(), report
