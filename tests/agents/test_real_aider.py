"""The aider preset against the real ``aider`` (aider-chat at the preset's pinned version) talking to a
scripted OpenAI Chat Completions stand-in, driven through ``workorder handle`` and the fake GitHub.

aider is pointed at the stand-in the way a user points it at a proxy or a self-hosted model: the
config names the variables it gets (``runner.env: [OPENAI_API_KEY, OPENAI_API_BASE]``), the model is
``openai/<name>``, and a model metadata file (``--model-metadata-file``) tells aider the context
window and prices of a model it does not know.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from agents.cli_install import installed_cli
from agents.standins.base import StandIn
from agents.standins.openai_chat import ChatScript, Turn, json_block, model_not_found, search_replace, unauthorized

from conftest import labeled_payload

pytestmark = [pytest.mark.agents, pytest.mark.xdist_group("agent-clis")]  # one worker fills the CLI cache

KEY = "sk-standin-" + "a1" * 20
MODEL = "standin-coder"
PRICE_IN, PRICE_OUT = 0.000002, 0.00001  # US dollars per token, in the model metadata file
BRANCH = "wo/1-add-subtract-to-calc"
VERIFY = "python -m unittest discover -s tests -t ."
RIGHT = '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return a - b\n'
WRONG = RIGHT.replace("a - b", "a + b")
TEST = ("import unittest\n\nfrom calc.ops import subtract\n\n\nclass SubtractTest(unittest.TestCase):\n"
        "    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n")
PACKET = {"status": "done", "summary": "Added subtract with a test.",
          "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
          "commands_run": [{"cmd": VERIFY, "exit_code": 0}], "tests_run": ["tests/test_subtract.py"],
          "assumptions": [], "limitations": [], "evidence": [{"criterion": "1", "kind": "command", "ref": VERIFY}]}


def develop(body: str, tokens_in: int, tokens_out: int) -> Turn:
    """An answer in aider's diff edit format: subtract (``body``) and its test, then the DoD packet."""
    edits = (search_replace("calc/ops.py", "    return a + b\n", "    return a + b\n" + body)
             + "\n" + search_replace("tests/test_subtract.py", "", TEST))
    return Turn("I'll add subtract and a test.\n\n" + edits + "\nDoD packet:\n\n" + json_block(PACKET),
                tokens_in, tokens_out)


@pytest.fixture(scope="module")
def aider_exe() -> Path:
    return installed_cli("aider")


@pytest.fixture
def aider(action, aider_exe, tmp_path):
    """aider(turns, extra_args=(), gitignore=True) -> ChatScript: the action runs the real aider
    against a stand-in serving ``turns``; a fresh HOME per test (aider's first-run state)."""
    stand_ins: list[StandIn] = []

    def setup(turns: list[Turn], extra_args: tuple[str, ...] = (), gitignore: bool = True) -> ChatScript:
        script = ChatScript(turns, model=MODEL)
        stand_in = StandIn(script).__enter__()
        stand_ins.append(stand_in)
        metadata = tmp_path / "aider-models.json"
        metadata.write_text(json.dumps({f"openai/{MODEL}": {
            "max_input_tokens": 128000, "max_output_tokens": 16384, "litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": PRICE_IN, "output_cost_per_token": PRICE_OUT}}))
        args = ["--model-metadata-file", str(metadata), *extra_args]
        if not gitignore:
            subprocess.run(["git", "rm", "-q", ".gitignore"], cwd=action.workspace, check=True, env=action.env)
        action.commit_config(
            f"runner:\n  preset: aider\n  command: {aider_exe}\n  model: openai/{MODEL}\n  timeout: 180\n"
            "  env: [OPENAI_API_KEY, OPENAI_API_BASE, LITELLM_LOCAL_MODEL_COST_MAP]\n"
            f"  extra_args: {json.dumps(args)}\nmax_cycles: 2\n")
        del action.env["WORKORDER_RUNNER_COMMAND"]
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        action.env.update(HOME=str(home), OPENAI_API_KEY=KEY, OPENAI_API_BASE=f"{stand_in.url}/v1",
                          LITELLM_LOCAL_MODEL_COST_MAP="True")
        return script

    yield setup
    for stand_in in stand_ins:
        stand_in.close()


def audit(action) -> list[dict]:
    return [json.loads(line) for line in (action.tmp_path / "state" / "runs" / "audit.jsonl").read_text().splitlines()]


def runner_done(action) -> list[dict]:
    """The ``runner.done`` audit events: the packet's status, reported_by, and the usage."""
    return [e["data"] for e in audit(action) if e["event"] == "runner.done"]


def branch_files(action) -> tuple[set[str], set[str]]:
    """(every path on the work order's branch, the paths it changed against main), from the origin."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=action.workspace, check=True, capture_output=True, text=True,
                              env=action.env).stdout
    git("fetch", "-q", "origin")
    every = set(git("ls-tree", "-r", "--name-only", f"origin/{BRANCH}").split())
    changed = set(git("diff", "--name-only", "origin/main", f"origin/{BRANCH}").split())
    return every, changed


def assert_usage(done: list[dict], script: ChatScript, turns: int) -> None:
    tokens_in, tokens_out = script.billed
    usage = {k: sum(d["usage"][k] for d in done) for k in ("tokens_in", "tokens_out", "turns", "cost_usd")}
    assert (usage["tokens_in"], usage["tokens_out"], usage["turns"]) == (tokens_in, tokens_out, turns)
    assert usage["cost_usd"] == pytest.approx(tokens_in * PRICE_IN + tokens_out * PRICE_OUT, abs=1e-6)


def assert_only_the_work_is_on_the_branch(action, gitignore: bool) -> None:
    every, changed = branch_files(action)
    assert changed == {"calc/ops.py", "tests/test_subtract.py"}, "no .gitignore edit, no aider file, no packet file"
    assert not [p for p in every if p.startswith(".aider") or "__pycache__" in p or p.endswith(".pyc")]
    assert (".gitignore" in every) == gitignore


@pytest.mark.parametrize("gitignore", [True, False], ids=["with-gitignore", "without-gitignore"])
def test_first_cycle_pass_with_the_packet_from_aiders_own_answer(action, aider, gitignore):
    # aider runs the tests itself (--auto-test), so its __pycache__ lands in the work tree
    script = aider([develop(RIGHT, 1234, 567)], gitignore=gitignore,
                   extra_args=("--auto-test", "--test-cmd", VERIFY))
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.tracking()
    [done] = runner_done(action)
    assert done["status"] == "done" and done["reported_by"] == "runner"
    assert_usage([done], script, turns=1)
    assert_only_the_work_is_on_the_branch(action, gitignore)
    [request] = script.chat_requests
    assert request.headers["authorization"] == f"Bearer {KEY}" and request.body["model"] == MODEL
    assert request.body.get("stream") in (None, False)
    sent = json.dumps(request.body["messages"])
    assert "## TASK" in sent and "def add(a: int, b: int)" in sent, "the prompt and the in-scope files reach the model"
    phase = action.tmp_path / "state" / "runs" / "1" / "1-dev"
    assert (phase / "aider.llm.history").exists() and (phase / "aider.chat.history.md").exists()
    assert "Ran 2 tests" in (phase / "output.log").read_text(), "aider ran the tests: its __pycache__ was there"
    worktree_aider_files = [p.name for p in action.workspace.parent.rglob(".aider.chat.history.md")]
    assert worktree_aider_files == [], "aider's histories stay in the phase folder"


def test_fail_then_fix_then_pass(action, aider):
    fix = search_replace("calc/ops.py", '    """Return a minus b."""\n    return a + b\n',
                         '    """Return a minus b."""\n    return a - b\n')
    script = aider([develop(WRONG, 1000, 200),
                    Turn("Fixed the sign.\n\n" + fix + "\n" + json_block(PACKET), 1500, 300)])
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.tracking()
    first, second = script.chat_requests
    assert "CORRECTIVE PROMPT" not in json.dumps(first.body["messages"])
    assert "CORRECTIVE PROMPT" in json.dumps(second.body["messages"]), "cycle 2 is told what failed"
    done = runner_done(action)
    assert [d["reported_by"] for d in done] == ["runner", "runner"]
    assert_usage(done, script, turns=2)
    verdicts = [r["body"].splitlines()[0] for r in action.fake.reviews]
    assert verdicts == ["## PO verdict: ❌ FAIL (cycle 1 of 2)", "## PO verdict: ✅ PASS (cycle 2 of 2)"], verdicts
    assert_only_the_work_is_on_the_branch(action, gitignore=True)


@pytest.mark.parametrize("error", ["401", "404"])
def test_the_model_api_error_is_shown_redacted_not_work_done(action, aider, error):
    aider([unauthorized(KEY) if error == "401" else model_not_found(MODEL)])
    action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    assert "**Stopped: agent_error**" in tracking, tracking
    if error == "401":
        assert "litellm.AuthenticationError" in tracking and "Incorrect API key provided: ***" in tracking
    else:
        assert "litellm.NotFoundError" in tracking and f"The model `{MODEL}` does not exist" in tracking
    assert KEY not in tracking and KEY not in json.dumps(audit(action))
    [failed] = [e["data"] for e in audit(action) if e["event"] == "runner.failed"]
    assert failed["kind"] == "agent_error" and failed["exit_code"] == 0, "aider exits 0 after an API error"
    assert runner_done(action) == [] and action.fake.pulls == {}, "an outage is never work done"


def test_the_reflection_limit_is_a_turn_limit(action, aider):
    miss = search_replace("calc/ops.py", "    return a * b\n", "    return a - b\n")
    script = aider([Turn("Edit:\n\n" + miss, 100 + n, 10 + n) for n in range(4)])
    action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    assert "**Stopped: budget**" in tracking and "turn limit" in tracking
    assert len(script.chat_requests) == 4, "the first answer and aider's 3 reflections"
    assert "SearchReplaceNoExactMatch" in json.dumps(script.chat_requests[-1].body["messages"])
    assert script.billed == (406, 46) and "452 tokens (406 in, 46 out), 4 turns, $0.0013" in tracking
    [failed] = [e["data"] for e in audit(action) if e["event"] == "runner.failed"]
    assert failed == {"detail": "the agent reached its turn limit", "exit_code": 0, "kind": "budget"}


# -- the report reader on aider 0.86.2's own output (recorded; the outage takes aider ~80 s) -------------
REFUSED_ONCE = ("litellm.InternalServerError: InternalServerError: OpenAIException - Connection \nerror.\n"
                "The API provider's servers are down or overloaded.\n")
OUTAGE = ("Aider v0.86.2\nModel: openai/standin-coder with diff edit format\n"
          + "".join(f"{REFUSED_ONCE}Retrying in {d:.1f} seconds...\n" for d in (0.2, 0.5, 32.0)) + REFUSED_ONCE + "\n \n")
RECOVERED = OUTAGE + "Tokens: 1.2k sent, 567 received.\nApplied edit to calc/ops.py\n"
ANALYTICS = ('{"event": "message_send_starting", "properties": {}}\nnot json\n'
             '{"event": "message_send", "properties": {"prompt_tokens": 1234, "completion_tokens": 567, "cost": 0.008138}}\n'
             '{"event": "message_send", "properties": {"prompt_tokens": 10, "completion_tokens": 5, "cost": 0.0001}}\n')
HISTORY = ("TO LLM 2026-11-22T03:05:47\n-------\nSYSTEM Act as an expert.\nUSER LLM RESPONSE 2026-11-22T03:05:47\n"
           "LLM RESPONSE 2026-11-22T03:05:48\nASSISTANT first answer\nASSISTANT \nASSISTANT ```json\n"
           'ASSISTANT {"status": "done"}\nASSISTANT ```\nTO LLM 2026-11-22T03:05:49\nUSER fix it\n'
           "LLM RESPONSE 2026-11-22T03:05:50\nASSISTANT second answer\n")


@pytest.mark.parametrize(("output", "error"), [
    (OUTAGE, "litellm.InternalServerError: InternalServerError: OpenAIException - Connection error. "
             "The API provider's servers are down or overloaded."),
    (RECOVERED, None),
    ("Tokens: 10 sent, 5 received.\nOnly 3 reflections allowed, stopping.\n", None),
], ids=["outage", "recovered", "no-error"])
def test_the_report_reader_on_recorded_output(tmp_path, output, error):
    from workorder.presets import PRESETS
    (tmp_path / "output.log").write_text(output)
    report = PRESETS["aider"].report(tmp_path)
    assert report.error == error
    assert report.turn_limit_hit == ("reflections allowed" in output)
    (tmp_path / "aider.analytics.jsonl").write_text(ANALYTICS)
    (tmp_path / "aider.llm.history").write_text(HISTORY)
    report = PRESETS["aider"].report(tmp_path)
    assert report.usage.model_dump() == {"tokens_in": 1244, "tokens_out": 572, "cost_usd": 0.008238, "turns": 2}
    assert report.final_message == 'first answer\n\n```json\n{"status": "done"}\n```\n\nsecond answer'
