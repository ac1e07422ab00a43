"""The claude preset against the real Claude Code CLI (the pinned version), talking to a scripted
stand-in of the Anthropic Messages API on 127.0.0.1, through the whole loop (`workorder handle` with
the fake GitHub).

The CLI is pointed at the stand-in the way a user points it at a proxy or a self-hosted gateway:
``ANTHROPIC_BASE_URL`` passed through ``runner.env`` (and ``reviewer.env``), the key in
``ANTHROPIC_API_KEY``. Each test has its own HOME, so the CLI starts from a fresh first run.
"""

from __future__ import annotations

import json
import socketserver
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from agents.cli_install import installed_cli
from agents.standins.anthropic import (
    AnthropicStandIn,
    ApiError,
    Conversation,
    ToolCall,
    Turn,
    results_text,
    tool_errors,
)
from conftest import ActionRun, labeled_payload

pytestmark = [pytest.mark.agents, pytest.mark.xdist_group("agent-clis")]  # one worker fills the CLI cache

KEY = "sk-ant-test-" + "k" * 40
BRANCH = "wo/1-add-subtract-to-calc"
VERIFY = "python -m unittest discover -s tests -t ."
OPS_END = "    return a + b\n"
SUBTRACT = '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return {body}\n'
TEST = ("import unittest\n\nfrom calc.ops import subtract\n\n\nclass SubtractTest(unittest.TestCase):\n"
        "    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n")
NEGATIVE = "\n    def test_negative(self):\n        self.assertEqual(subtract(3, 5), -2)\n"
PACKET = {"status": "done", "summary": "Added subtract(a, b) with a test.",
          "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
          "commands_run": [{"cmd": VERIFY, "exit_code": 0}], "tests_run": ["tests/test_subtract.py"],
          "evidence": [{"criterion": "1", "kind": "command", "ref": VERIFY}]}
SE_TOOLS = {"Read", "Edit", "Write", "Glob", "Grep", "Bash"}
REVIEWER = "You are the product owner's reviewer"
CORRECTIVE = "## CORRECTIVE PROMPT"


# -- scripts: what the model "says" on each call --------------------------------------------------
def final(body: dict, tokens_in: int = 1400, tokens_out: int = 90) -> Turn:
    """The final answer: a sentence, then the JSON in a ```json block (the final_message channel)."""
    return Turn(text="Done. Here is the result.\n\n```json\n" + json.dumps(body, indent=1) + "\n```\n",
                tokens_in=tokens_in, tokens_out=tokens_out)


def write_subtract(c: Conversation, body: str) -> Turn | None:
    """Turns 0-2 of a first cycle: read ops.py and write the test, add subtract, run the tests (which
    leaves __pycache__ behind, as a real agent does). None after that."""
    cwd = c.cwd
    steps = [
        Turn(tools=(ToolCall("Read", {"file_path": f"{cwd}/calc/ops.py"}),
                    ToolCall("Write", {"file_path": f"{cwd}/tests/test_subtract.py", "content": TEST})),
             tokens_in=1000, tokens_out=50),
        Turn(text="Adding subtract.", tools=(ToolCall("Edit", {
            "file_path": f"{cwd}/calc/ops.py", "old_string": OPS_END,
            "new_string": OPS_END + SUBTRACT.format(body=body)}),), tokens_in=1100, tokens_out=60),
        Turn(tools=(ToolCall("Bash", {"command": VERIFY, "description": "Run the tests"}),), tokens_in=1200, tokens_out=70),
    ]
    return steps[c.turn] if c.turn < len(steps) else None


def se_pass(c: Conversation) -> Turn:
    """A first cycle that does the work, runs the tests and hands back its packet."""
    return write_subtract(c, "a - b") or final(PACKET)


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def claude_exe() -> Path:
    """The real claude at the preset's pinned version."""
    return installed_cli("claude")


@pytest.fixture
def stand_in(action: ActionRun, tmp_path: Path, claude_exe: Path) -> Iterator[Callable[..., AnthropicStandIn]]:
    """start(script, config="", reviewer=False, timeout=120) -> the running stand-in, with the action
    configured to run the real claude against it as the SE runner (``config`` goes on after the
    ``runner:`` keys), and as the reviewer too when ``reviewer``."""
    started: list[AnthropicStandIn] = []

    def start(script, config: str = "", reviewer: bool = False, timeout: int = 120) -> AnthropicStandIn:
        server = AnthropicStandIn(script).__enter__()
        started.append(server)
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        action.env.update(HOME=str(home), ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=server.url)
        del action.env["WORKORDER_RUNNER_COMMAND"]
        text = f"runner:\n  preset: claude\n  command: {claude_exe}\n  timeout: {timeout}\n  env: [ANTHROPIC_BASE_URL]\n"
        if reviewer:
            text += f"reviewer:\n  preset: claude\n  command: {claude_exe}\n  timeout: 120\n  env: [ANTHROPIC_BASE_URL]\n"
        action.commit_config(text + config)
        return server

    yield start
    for server in started:
        server.close()


# -- what the tests look at -------------------------------------------------------------------------
def audit(action: ActionRun) -> list[dict]:
    path = action.tmp_path / "state" / "runs" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def branch_files(action: ActionRun) -> list[str]:
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=action.workspace, check=True, env=action.env)
    out = subprocess.run(["git", "ls-tree", "-r", "--name-only", f"origin/{BRANCH}"], cwd=action.workspace,
                         capture_output=True, text=True, check=True, env=action.env).stdout
    return out.split()


def usage_line(server: AnthropicStandIn) -> str:
    """The tracking comment's usage for exactly what the stand-in billed (turns: model calls)."""
    b = server.billed
    return f"{b.tokens_in + b.tokens_out} tokens ({b.tokens_in} in, {b.tokens_out} out), {b.calls} turns"


def offered_tools(action: ActionRun, phase: str) -> set[str]:
    """The tools the CLI said it offers (its init event) in ``phase`` of cycle 1."""
    events = (action.tmp_path / "state" / "runs" / "1" / phase / "agent-result.json").read_text().splitlines()
    init = next(json.loads(e) for e in events if '"init"' in e)
    return set(init["tools"])


def assert_sane(server: AnthropicStandIn, failed_commands: int = 0) -> None:
    """The CLI called nothing but /v1/messages, with the key, and every tool call worked (but for
    ``failed_commands`` Bash commands that exited non-zero: failing tests)."""
    assert server.unexpected == []
    assert {r.headers.get("x-api-key") for r in server.requests} == {KEY}
    errors = [results_text(r) for r in tool_errors(server.conversations)]
    assert len(errors) == failed_commands and all(e.startswith("Exit code 1") for e in errors), errors


def remove_gitignore(action: ActionRun) -> None:
    for args in (["rm", "-q", ".gitignore"], ["commit", "-qm", "no .gitignore"], ["push", "-q", "origin", "HEAD:main"]):
        subprocess.run(["git", *args], cwd=action.workspace, check=True, env=action.env)


@pytest.fixture
def outbound(action: ActionRun) -> Iterator[list[str]]:
    """The request lines (``CONNECT host:443 ...``) of every connection the CLI tries to make anywhere
    but 127.0.0.1: ``HTTPS_PROXY`` (which the runner keeps) points at a recorder that refuses them."""
    seen: list[str] = []

    class Refuse(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            seen.append(self.rfile.readline().decode("latin-1").strip())
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Refuse)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    action.env.update(HTTPS_PROXY=proxy, HTTP_PROXY=proxy, NO_PROXY="127.0.0.1,localhost")
    yield seen
    server.shutdown()
    server.server_close()


# -- the tests ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("gitignore", [True, False], ids=["with-gitignore", "without-gitignore"])
def test_first_cycle_pass_with_the_packet_from_claudes_final_message(action, stand_in, outbound, gitignore):
    if not gitignore:
        remove_gitignore(action)
    server = stand_in(se_pass)
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.tracking()
    assert_sane(server)
    assert outbound == [], "no telemetry, error reports or update checks"
    # The agent's test run left __pycache__ in its tree (the control below shows it committed without
    # never_commit); the review deletes the tree's bytecode before each verify command (evidence/bytecode.py),
    # so it is no longer there to see afterwards.
    assert "## TASK" in server.conversations[0].prompt
    assert offered_tools(action, "1-dev") == SE_TOOLS
    [done] = [e for e in audit(action) if e["event"] == "runner.done"]
    assert done["data"]["reported_by"] == "runner", "the packet is Claude's own, not built by the action"
    assert usage_line(server) in action.tracking()
    assert done["data"]["usage"]["cost_usd"] > 0
    files = branch_files(action)
    assert "tests/test_subtract.py" in files and "calc/ops.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")], files


def test_without_never_commit_the_cache_files_claude_leaves_would_block_the_loop(action, stand_in):
    """The control for the test above: with ``never_commit: []`` and no .gitignore, what the real agent
    leaves behind (``__pycache__`` from running the tests) is committed and fails the review."""
    remove_gitignore(action)
    stand_in(se_pass, config="never_commit: []\nmax_cycles: 1\n")
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    assert [f for f in branch_files(action) if f.endswith(".pyc")]
    assert "`calc/__pycache__/ops.cpython-" in action.tracking()


def test_fail_then_fix_after_the_corrective_prompt(action, stand_in):
    def script(c: Conversation) -> Turn:
        if CORRECTIVE not in c.prompt:
            return write_subtract(c, "b - a") or final(PACKET)
        cwd = c.cwd
        steps = [Turn(tools=(ToolCall("Read", {"file_path": f"{cwd}/calc/ops.py"}),), tokens_in=2000, tokens_out=40),
                 Turn(tools=(ToolCall("Edit", {"file_path": f"{cwd}/calc/ops.py", "old_string": "return b - a",
                                               "new_string": "return a - b"}),), tokens_in=2100, tokens_out=45)]
        return steps[c.turn] if c.turn < len(steps) else final(PACKET, tokens_in=2200, tokens_out=60)

    server = stand_in(script, config="max_cycles: 2\n")
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.tracking()
    fixes = [c for c in server.conversations if CORRECTIVE in c.prompt]
    assert fixes and "verify" in fixes[0].prompt, "cycle 2 was prompted with the review's findings"
    assert action.fake.reviews[0]["body"].startswith("## PO verdict: ❌ FAIL")
    assert_sane(server, failed_commands=1)
    assert [e["data"]["reported_by"] for e in audit(action) if e["event"] == "runner.done"] == ["runner", "runner"]
    assert usage_line(server) in action.tracking()


def test_model_not_found_shows_claudes_own_words(action, stand_in):
    server = stand_in(lambda c: ApiError(404, "not_found_error", "model: claude-nope-9"),
                      config="  model: claude-nope-9\n")
    action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    assert "issue with the selected model (claude-nope-9)" in tracking, tracking
    assert "API error 404 not_found_error" in tracking
    assert server.requests and server.billed.calls == 0


def test_api_error_text_is_redacted(action, stand_in):
    stand_in(lambda c: ApiError(403, "permission_error", f"key {KEY} may not use this model"))
    action.handle(labeled_payload())
    tracking = action.tracking()
    assert "runner exited with code 1: Failed to authenticate. API Error: 403 key *** may not use" in tracking
    assert KEY not in tracking and KEY not in json.dumps(audit(action))


def test_turn_limit_stops_the_phase_as_a_budget_and_pushes_the_partial_work(action, stand_in):
    server = stand_in(se_pass, config="  max_turns: 2\n")
    action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    assert "**Stopped: budget**" in tracking and "turn limit" in tracking
    assert server.billed.calls == 2 and usage_line(server) in tracking
    assert "tests/test_subtract.py" in branch_files(action), "the partial work is pushed"


def test_a_run_stopped_by_its_timeout_still_counts_what_claude_used(action, stand_in):
    """The model hangs on the second call; the runner's timeout kills claude. The call made so far is
    in its stream-json events and counts against the budgets."""
    reached, release = threading.Event(), threading.Event()

    def script(c: Conversation) -> Turn:
        if c.turn == 1:
            reached.set()
            release.wait(30)
        return se_pass(c)

    stand_in(script, timeout=6)
    try:
        action.handle(labeled_payload())
    finally:
        release.set()
    tracking = action.tracking()
    assert reached.is_set() and action.fake.issues[1]["labels"] == ["wo:blocked"] and "6 s" in tracking
    # turn 0 billed 1000 tokens in; its events show 1 token out (the rest of a call's output count
    # comes with the result, which a killed run never writes)
    assert "(1000 in, 1 out), 1 turns" in tracking, tracking


def test_claude_reviewer_verdict_is_used_once_per_cycle(action, stand_in):
    """Claude as SE runner and as the read-only LLM reviewer: the reviewer's FAIL (a finding the gates
    cannot see) drives a fix cycle, its PASS ends it; each verdict is asked for, and paid, once."""
    fail = {"verdict": "FAIL", "findings": [{"severity": "MAJOR", "rule": "tests", "message": "No test for a "
            "negative result (subtract(3, 5) == -2 is a DONE-WHEN criterion).", "path": "tests/test_subtract.py"}],
            "corrective_prompt": "Add a test for subtract(3, 5) == -2."}

    def script(c: Conversation) -> Turn:
        if REVIEWER in c.prompt:
            if c.turn == 0:
                return Turn(tools=(ToolCall("Grep", {"pattern": "def test_", "path": c.cwd}),
                                   ToolCall("Read", {"file_path": f"{c.cwd}/tests/test_subtract.py"})),
                            tokens_in=800, tokens_out=30)
            seen = "\n".join(results_text(r) for r in c.tool_results)
            return final({"verdict": "PASS", "findings": []} if "test_negative" in seen else fail,
                         tokens_in=900, tokens_out=70)
        if CORRECTIVE not in c.prompt:
            return se_pass(c)
        path = f"{c.cwd}/tests/test_subtract.py"
        steps = [Turn(tools=(ToolCall("Read", {"file_path": path}),), tokens_in=1500, tokens_out=20),
                 Turn(tools=(ToolCall("Edit", {"file_path": path, "old_string": TEST, "new_string": TEST + NEGATIVE}),),
                      tokens_in=1600, tokens_out=40)]
        return steps[c.turn] if c.turn < len(steps) else final(PACKET)

    work = action.fake.issues[1]["body"].replace("subtract(5, 3) == 2", "subtract(5, 3) == 2 and subtract(3, 5) == -2")
    action.fake.issues[1]["body"] = work
    server = stand_in(script, config="max_cycles: 2\n", reviewer=True)
    action.handle(labeled_payload(body=work))
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.tracking()
    first, second = action.fake.reviews[0]["body"], action.fake.reviews[-1]["body"]
    assert first.startswith("## PO verdict: ❌ FAIL") and "llm.tests" in first and "LLM reviewer" in first
    assert "PASS" in second.splitlines()[0]
    reviews = [c for c in server.conversations if REVIEWER in c.prompt and c.turn == 0]
    assert len(reviews) == 2, "one reviewer call per cycle: the verdict was taken, never retried"
    assert [e["data"]["notes"] for e in audit(action) if e["event"] == "llm_review"] == [0, 0]
    assert offered_tools(action, "1-review/llm-review-1") == {"Read", "Glob", "Grep"}
    assert_sane(server)
    assert usage_line(server) in action.tracking()

