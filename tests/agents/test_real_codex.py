"""The codex preset against the real Codex CLI (``@openai/codex`` at the preset's pinned version)
talking to a scripted OpenAI Responses stand-in, driven through ``workorder handle`` and the fake GitHub.

Codex is pointed at the stand-in the way a user points it at a proxy or a self-hosted endpoint: a
model provider given with ``-c`` overrides in ``runner.extra_args`` (``model_provider`` and
``model_providers.<id>.base_url``, its key read from ``CODEX_API_KEY``, which the preset exports from
the user's ``OPENAI_API_KEY``). The model is ``gpt-5.5``, the one model 0.169's bundled catalogue lists
with Codex's ``apply_patch`` and ``exec_command`` as plain tools (its gpt-6 family is code-mode only;
``gpt-5-codex`` is unknown and gets fallback metadata without ``apply_patch``). Each test has its own
HOME, so Codex starts from a fresh first-run state.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from agents.cli_install import installed_cli
from agents.standins.openai_responses import (
    ResponsesStandIn, Step, Usage, apply_patch, input_text, message, shell, update_file,
)

from conftest import labeled_payload

pytestmark = [pytest.mark.agents, pytest.mark.xdist_group("agent-clis")]  # one worker fills the CLI cache

KEY = "sk-standin-" + "c3" * 20
MODEL = "gpt-5.5"
BRANCH = "wo/1-add-subtract-to-calc"
VERIFY = "python -m unittest discover -s tests -t ."
TEST = ("import unittest\n\nfrom calc.ops import subtract\n\n\nclass SubtractTest(unittest.TestCase):\n"
        "    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n")
PACKET = {"status": "done", "summary": "Added subtract with a test.",
          "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
          "commands_run": [{"cmd": VERIFY, "exit_code": 0}], "tests_run": ["tests/test_subtract.py"],
          "assumptions": [], "limitations": [], "question": None,
          "evidence": [{"criterion": "1", "kind": "command", "ref": VERIFY}]}
PASS = {"verdict": "PASS", "findings": [], "corrective_prompt": None}


def provider_args(url: str) -> list[str]:
    """The user's recipe for a proxy or self-hosted endpoint: a model provider named ``standin`` at
    ``url`` (no retries, so an error is final at once)."""
    return ["-c", 'model_provider="standin"',
            "-c", (f'model_providers.standin={{name="standin", base_url="{url}", env_key="CODEX_API_KEY", '
                   'wire_api="responses", request_max_retries=0, stream_max_retries=0}')]


def add_subtract(body: str = "a - b") -> dict:
    """Codex's apply_patch call adding subtract (returning ``body``) to calc/ops.py."""
    return update_file("calc/ops.py", ["     return a + b", "+", "+", "+def subtract(a: int, b: int) -> int:",
                                       '+    """Return a minus b."""', f"+    return {body}"])


def develop(first: int, body: str = "a - b") -> list[Step]:
    """One dev phase: patch calc/ops.py and add the test, run the verify command (it leaves
    ``__pycache__`` behind) and show the environment, hand back the packet. Bills ``first`` + 100 * i
    tokens in and 10 + i out."""
    return [Step((add_subtract(body), apply_patch({"tests/test_subtract.py": TEST})), Usage(first, 10)),
            Step((shell(f"{VERIFY}; env"),), Usage(first + 100, 11)),
            Step((message(json.dumps(PACKET)),), Usage(first + 200, 12))]


def review(verdict: dict, tokens_in: int = 900, check=None) -> list[Step]:
    """One reviewer phase: a look at the diff, then the verdict as its final message."""
    return [Step((shell("git diff HEAD~1 --stat; touch reviewer-was-here"),), Usage(tokens_in, 5), check=check),
            Step((message(json.dumps(verdict)),), Usage(tokens_in + 50, 6))]


@pytest.fixture(scope="module")
def codex_exe() -> Path:
    return installed_cli("codex")


@pytest.fixture
def codex(action, codex_exe, tmp_path):
    """codex(steps, config="", gitignore=True, reviewer=False) -> ResponsesStandIn: the action runs the
    real codex (as runner, and as reviewer when asked) against a stand-in serving ``steps``."""
    stand_ins: list[ResponsesStandIn] = []

    def setup(steps: list[Step], config: str = "", gitignore: bool = True, reviewer: bool = False) -> ResponsesStandIn:
        stand_in = ResponsesStandIn(steps).__enter__()
        stand_ins.append(stand_in)
        args = json.dumps(provider_args(stand_in.url))
        if not gitignore:
            subprocess.run(["git", "rm", "-q", ".gitignore"], cwd=action.workspace, check=True, env=action.env)
        text = (f"runner:\n  preset: codex\n  command: {codex_exe}\n  model: {MODEL}\n  timeout: 120\n"
                f"  extra_args: {args}\nmax_cycles: 2\n")
        if reviewer:
            text += (f"reviewer:\n  preset: codex\n  command: {codex_exe}\n  model: {MODEL}\n  timeout: 120\n"
                     f"  extra_args: {args}\n")
        action.commit_config(text + config)
        del action.env["WORKORDER_RUNNER_COMMAND"]
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        action.env.update(HOME=str(home), OPENAI_API_KEY=KEY)
        return stand_in

    yield setup
    for stand_in in stand_ins:
        stand_in.__exit__()


def audit(action) -> list[dict]:
    """The audit log's events."""
    path = action.tmp_path / "state" / "runs" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def branch_files(action) -> list[str]:
    """Every path on the work branch at the origin."""
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=action.workspace, check=True, env=action.env)
    out = subprocess.run(["git", "ls-tree", "-r", "--name-only", f"origin/{BRANCH}"], cwd=action.workspace,
                         capture_output=True, text=True, check=True, env=action.env).stdout
    return out.splitlines()


def usage_line(billed: Usage, turns: int) -> str:
    """How the tracking comment shows what the stand-in billed over ``turns`` codex runs."""
    total = billed.input_tokens + billed.output_tokens
    return f"{total} tokens ({billed.input_tokens} in, {billed.output_tokens} out), {turns} turns"


def assert_spoke_like_codex(stand_in: ResponsesStandIn) -> None:
    """Every request carried the key as a Bearer token, streamed, named our model, and asked for a
    structured final message; the runner had apply_patch."""
    assert stand_in.requests and not stand_in.problems, stand_in.problems
    for rec in stand_in.requests:
        assert rec.headers.get("authorization") == f"Bearer {KEY}"
        assert rec.body["stream"] is True and rec.body["model"] == MODEL
        assert rec.body["text"]["format"]["type"] == "json_schema"
    assert "apply_patch" in [t.get("name") for t in stand_in.requests[0].body["tools"]]


@pytest.mark.parametrize("gitignore", [True, False], ids=["with-gitignore", "without-gitignore"])
def test_first_cycle_pass_with_the_agents_own_packet(action, codex, gitignore):
    stand_in = codex(develop(1000), gitignore=gitignore)
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.tracking()
    assert_spoke_like_codex(stand_in)
    assert "status" in stand_in.requests[0].body["text"]["format"]["schema"]["properties"]
    [done] = [e for e in audit(action) if e["event"] == "runner.done"]
    assert done["data"]["reported_by"] == "runner" and "dod.reported_by_action" not in action.fake.reviews[0]["body"]
    phase = action.tmp_path / "state" / "runs" / "1" / "1-dev"
    assert json.loads((phase / "last-message.md").read_text()) == PACKET, "the packet is codex's -o final message"
    assert stand_in.billed == Usage(3300, 33)
    assert usage_line(stand_in.billed, 1) in action.tracking()
    ran = input_text(stand_in.requests[2])
    assert "Ran 2 tests" in ran and "\nOK" in ran, "the agent's shell found the action's python (no login shell)"
    assert KEY not in ran, "the commands codex runs do not see the API key"
    worktree = action.tmp_path / "state" / "worktrees" / "1"
    # the agent's run left tests/__pycache__ behind; the review deleted the tree's bytecode before each verify
    # command (evidence/bytecode.py), so what must hold is that none of it reached the branch:
    assert not (worktree / "tests" / "__pycache__").exists()
    files = branch_files(action)
    assert "tests/test_subtract.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or f.startswith((".codex", ".agents"))]
    assert (".gitignore" in files) == gitignore


def test_fail_then_fix_after_the_corrective_prompt(action, codex):
    def sees_corrective_prompt(rec):
        assert "## CORRECTIVE PROMPT" in input_text(rec), "cycle 2 starts from the corrective prompt"

    # the fix changes the file's size too: an edit of the same size within the second of the last
    # verify run would leave Python's cached bytecode of calc/ops.py looking fresh
    fix = update_file("calc/ops.py", ['@@ def subtract(a: int, b: int) -> int:', '-    """Return a minus b."""',
                                      "-    return a + b", '+    """Return a minus b (fixed)."""', "+    return a - b"])
    stand_in = codex([*develop(1000, body="a + b"),
                      Step((fix,), Usage(2000, 20), check=sees_corrective_prompt),
                      Step((shell(VERIFY),), Usage(2100, 21)),
                      Step((message(json.dumps(PACKET)),), Usage(2200, 22))])
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.tracking()
    assert_spoke_like_codex(stand_in)
    first, second = action.fake.reviews
    assert "verify.failed" in first["body"] and "verify.failed" not in second["body"]
    assert "## CORRECTIVE PROMPT" not in input_text(stand_in.requests[0])
    assert [e["data"]["reported_by"] for e in audit(action) if e["event"] == "runner.done"] == ["runner", "runner"]
    assert stand_in.billed == Usage(9600, 96)
    assert usage_line(stand_in.billed, 2) in action.tracking()
    ops = subprocess.run(["git", "show", f"origin/{BRANCH}:calc/ops.py"], cwd=action.workspace,
                         capture_output=True, text=True, check=True).stdout
    assert "return a - b" in ops


@pytest.mark.parametrize("status, code, said", [
    (401, "invalid_api_key", "Incorrect API key provided: " + KEY),
    (404, "model_not_found", f"The model `{MODEL}` does not exist or you do not have access to it."),
], ids=["401", "404-model"])
def test_the_agents_api_error_reaches_the_tracking_comment_redacted(action, codex, status, code, said):
    stand_in = codex([Step(status=status, error=said, code=code)])
    action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    reason = "unexpected status 401 Unauthorized: Incorrect API key provided: ***" if status == 401 else said
    assert f"the runner exited with code 1: {reason}" in tracking, tracking
    assert KEY not in tracking and KEY not in json.dumps(audit(action))
    assert len(stand_in.requests) == 1 and stand_in.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert not stand_in.problems


def test_token_budget_stops_after_the_phase_and_pushes_the_work(action, codex):
    stand_in = codex(develop(1000), config="budgets:\n  max_tokens: 2000\n")
    action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    assert "the token budget of 2000 per run is spent (3333 reported)" in tracking, tracking
    assert not action.fake.reviews and "tests/test_subtract.py" in branch_files(action)
    assert stand_in.billed == Usage(3300, 33) and not stand_in.problems


def test_codex_reviewer_verdict_is_used_read_only(action, codex):
    fail = {"verdict": "FAIL", "corrective_prompt": "Say what subtract returns for negative numbers.",
            "findings": [{"severity": "MAJOR", "rule": "docs", "message": "subtract's docstring is too thin",
                          "path": "calc/ops.py", "line": 7, "evidence": None}]}

    def verdict_schema(rec):
        assert rec.body["text"]["format"]["schema"]["required"] == ["verdict", "findings", "corrective_prompt"]
        assert "<entry access=\"write\"><path>" not in input_text(rec), "the reviewer's sandbox is read-only"

    def sees_review(rec):
        assert "subtract's docstring is too thin" in input_text(rec)

    better = update_file("calc/ops.py", ['@@ def subtract(a: int, b: int) -> int:',
                                         '-    """Return a minus b."""', '+    """Return a minus b (any sign)."""'])
    stand_in = codex([*develop(1000), *review(fail, check=verdict_schema),
                      Step((better,), Usage(3000, 30), check=sees_review),
                      Step((message(json.dumps(PACKET)),), Usage(3100, 31)),
                      *review(PASS, tokens_in=950)], reviewer=True)
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.tracking()
    assert_spoke_like_codex(stand_in)
    first, second = action.fake.reviews[0]["body"], action.fake.reviews[1]["body"]
    assert "llm.docs" in first and "subtract's docstring is too thin" in first
    assert "llm.docs" not in second
    # the reviewer's `touch` was refused by its read-only sandbox (the answer came back in the next request)
    assert "Read-only file system" in input_text(stand_in.requests[4])
    assert "reviewer-was-here" not in branch_files(action)
    assert not stand_in.problems
    reviewer = [e["data"]["usage"] for e in audit(action) if e["event"] == "llm_review"]
    assert [(u["tokens_in"], u["tokens_out"], u["turns"]) for u in reviewer] == [(1850, 11, 1), (1950, 11, 1)]
    assert stand_in.billed == Usage(3300 + 6100 + 1850 + 1950, 33 + 61 + 22)
    assert usage_line(stand_in.billed, 4) in action.tracking()


RETRY = {"type": "error", "message": "Reconnecting... 1/5 (stream disconnected before completion: timeout)"}
WARNING = {"type": "item.completed", "item": {"id": "item_0", "type": "error", "message": "Codex is ignoring 1 setting"}}
DONE = {"type": "turn.completed", "usage": {"input_tokens": 600, "cached_input_tokens": 0, "output_tokens": 60}}


@pytest.mark.parametrize("events, stderr, error, tokens", [
    ([RETRY, WARNING, DONE], "", None, (600, 60)),
    ([RETRY, RETRY], "", RETRY["message"], (0, 0)),
    ([{"type": "error", "message": "boom"}, {"type": "turn.failed", "error": {"message": "401 Unauthorized"}}], "",
     "401 Unauthorized", (0, 0)),
    ([], "WARNING: proceeding\nError: Model provider `nope` not found\n\nStack backtrace:\n", "Model provider `nope` not found",
     (0, 0)),
    ([WARNING], "Error: not ours once events exist\n", None, (0, 0)),
], ids=["retried-then-done", "stopped-while-retrying", "turn-failed", "stderr-before-events", "events-win"])
def test_report_reads_codex_events_as_0_169_writes_them(tmp_path, events, stderr, error, tokens):
    """The event shapes are the ones the real CLI wrote in the tests above (and in manual runs)."""
    from workorder.presets import PRESETS

    (tmp_path / "agent-events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events) + "not json\n")
    (tmp_path / "output.log").write_text(stderr)
    report = PRESETS["codex"].report(tmp_path)
    assert report.error == error
    assert (report.usage.tokens_in, report.usage.tokens_out, report.usage.turns) == (*tokens, 1 if tokens[0] else 0)
