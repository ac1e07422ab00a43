"""The route step's 👀 (#20 item 8): a command that acts is acknowledged within seconds of its comment, by
the stdlib route step itself (before any install, and before its run waits behind a running loop), against a
local HTTP stub of GitHub's reactions endpoint; and the route step stays standard-library only."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import load_payload

ROOT = Path(__file__).parent.parent
HANDLERS = ROOT / "src" / "workorder" / "handlers"
TOKEN = "ghs_route_token"


class Stub:
    """GitHub's reactions endpoint on 127.0.0.1: records (method, path, auth, body) and answers ``status``."""

    def __init__(self, status: int = 201):
        self.status = status
        self.requests: list[tuple[str, str, str, dict]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                stub.requests.append(("POST", self.path, self.headers.get("Authorization", ""), body))
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": 1, "content": "eyes"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


def comment_event(tmp_path: Path, body: str, user_type: str = "User") -> tuple[Path, int]:
    payload = load_payload("other/issue_comment.created")
    payload["comment"].update({"body": body, "user": {"login": "octo", "type": user_type}})
    payload["issue"]["number"] = 7
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path, payload["comment"]["id"]


def run_route_step(tmp_path: Path, event: Path, api_url: str, token: str = TOKEN) -> subprocess.CompletedProcess:
    """action.yml's route step verbatim, with the runner's python3 and the env GitHub gives a step."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "route")
    assert step["env"]["WORKORDER_GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    python3 = shutil.which("python3")
    env = {"PATH": f"{Path(python3).parent}:/usr/bin:/bin", "ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": str(tmp_path / "out"),
           "GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": api_url,
           "GITHUB_REPOSITORY": "octo/repo", "WORKORDER_GITHUB_TOKEN": token}
    return subprocess.run([shutil.which("bash") or "/bin/bash", "-c", step["run"]], env=env, capture_output=True,
                          text=True, check=False, timeout=60)


@pytest.mark.parametrize("verb", ["fix also negatives", "approve", "abort", "start", "retry", "answer x", "unlock"])
def test_the_route_step_puts_eyes_on_a_command_that_acts(tmp_path, stub, verb):
    event, cid = comment_event(tmp_path, f"thanks\n/wo {verb}")
    proc = run_route_step(tmp_path, event, stub.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("issue=7\nlane=") and "::warning::" not in proc.stdout
    assert stub.requests == [("POST", f"/repos/octo/repo/issues/comments/{cid}/reactions", f"Bearer {TOKEN}",
                              {"content": "eyes"})]


@pytest.mark.parametrize("body", ["/wo status", "/wo help", "no command here", "```\n/wo fix\n```"])
def test_help_status_and_non_commands_get_no_reaction(tmp_path, stub, body):
    event, _ = comment_event(tmp_path, body)
    assert run_route_step(tmp_path, event, stub.url).returncode == 0
    assert stub.requests == []


def test_a_bots_comment_gets_no_reaction(tmp_path, stub):
    event, _ = comment_event(tmp_path, "/wo fix", user_type="Bot")
    assert run_route_step(tmp_path, event, stub.url).returncode == 0
    assert stub.requests == []


def test_a_refused_reaction_is_a_warning_and_the_route_still_answers(tmp_path):
    refusing = Stub(status=403)
    try:
        event, _ = comment_event(tmp_path, "/wo approve")
        proc = run_route_step(tmp_path, event, refusing.url)
    finally:
        refusing.close()
    assert proc.returncode == 0 and (tmp_path / "out").read_text() == "issue=7\nlane=now\n"
    assert "::warning::no 👀 on the command" in proc.stdout and "403" in proc.stdout


def test_an_unreachable_api_is_a_warning_within_the_timeout(tmp_path):
    dead = Stub()
    url = dead.url
    dead.close()  # nothing listens there any more
    event, _ = comment_event(tmp_path, "/wo fix")
    started = time.monotonic()
    proc = run_route_step(tmp_path, event, url)
    assert proc.returncode == 0 and "::warning::no 👀" in proc.stdout
    assert time.monotonic() - started < 30


def test_without_a_token_the_route_step_routes_quietly(tmp_path, stub):
    event, _ = comment_event(tmp_path, "/wo fix")
    proc = run_route_step(tmp_path, event, stub.url, token="")
    assert proc.returncode == 0 and proc.stdout == "issue=7\nlane=loop\n" and stub.requests == []


# ---- standard library only ----------------------------------------------------------------------

STDLIB_ROUTE = ("route.py", "route_reaction.py", "command_table.py", "slash.py")


def test_the_route_step_modules_import_only_the_standard_library_and_each_other():
    allowed_own = {"workorder.inputs.bounded_int", *(f"workorder.handlers.{m[:-3]}" for m in STDLIB_ROUTE)}
    for name in STDLIB_ROUTE:
        tree = ast.parse((HANDLERS / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = "workorder.handlers" if node.level == 1 else "workorder"
                target = f"{base}.{node.module}" if node.module else base
                assert target in allowed_own, f"{name} imports {target}"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for module in modules:
                    assert module.split(".")[0] in sys.stdlib_module_names, f"{name} imports {module}"


def test_the_route_step_reads_the_lanes_without_importing_the_commands(tmp_path):
    """python3 -I -S (isolated, no site-packages) with only src on the path: the command modules are read
    with ast, never imported (they need pydantic and Jinja2)."""
    python3 = shutil.which("python3")
    code = ("import sys, workorder.handlers.route as r; print(sorted(r.LOOP_VERBS)); "
            "print([m for m in sys.modules if m.startswith('workorder.handlers.commands') or m in "
            "('pydantic', 'jinja2', 'yaml', 'github')])")
    out = subprocess.run([python3, "-B", "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'src')!r}); {code}"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["['answer', 'budget', 'fix', 'override-scope', 'retry', 'start', 'unlock']", "[]"]
