"""Real agents through presets, tested with fake CLIs on PATH that answer like the real ones."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from conftest import TOKEN, agent_calls, agent_command, install_fake_agent, labeled_payload
from workorder.cli import main
from workorder.presets import PRESETS

KEY = "sk-test-" + "k" * 40


@pytest.fixture
def agent(action, python_bin, tmp_path):
    """Set up the action with a fake agent: agent(name, scenario, config) -> record path."""

    def setup(name, scenario="ok", config="", key_env=None):
        record = tmp_path / f"{name}-calls.jsonl"
        install_fake_agent(python_bin, name, scenario, record)
        action.commit_config(f"runner:\n  preset: {name}\n" + config)
        del action.env["WORKORDER_RUNNER_COMMAND"]
        if key_env:
            action.env[key_env] = KEY
        return record

    return setup


def test_codex_preset_runs_codex_exec_with_the_documented_flags(action, agent):
    record = agent("codex", config="  model: gpt-5.5\nverify: ['test -z \"$OPENAI_API_KEY\"']\n",
                   key_env="OPENAI_API_KEY")
    code, out = action.handle(labeled_payload())
    [call] = agent_calls(record)
    phase = str(action.tmp_path / "state" / "runs" / "1" / "1-dev")
    assert call["argv"] == ["exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check", "--ephemeral",
                            "-c", "analytics.enabled=false", "-c", "feedback.enabled=false",
                            "-c", "check_for_update_on_startup=false", "-c", "allow_login_shell=false",
                            "-c", 'shell_environment_policy.exclude=["*API_KEY*"]',
                            "-o", f"{phase}/last-message.md", "--output-schema", f"{phase}/output-schema.json",
                            "-m", "gpt-5.5", "-"]
    assert "## TASK" in call["stdin"]
    assert call["env"]["OPENAI_API_KEY"] == KEY
    assert "GITHUB_TOKEN" not in call["env"] and TOKEN not in json.dumps(call["env"])
    assert action.fake.issues[1]["labels"] == ["wo:passed"], "verify commands never see the API key"
    assert "1500 tokens (1200 in, 300 out), 1 turns" in action.tracking()
    assert f"::add-mask::{KEY}" in out


def test_claude_preset_argv_usage_and_cost_are_summed_over_cycles(action, agent):
    record = agent("claude", config="  max_turns: 25\n", key_env="ANTHROPIC_API_KEY")
    action.commit_config("runner:\n  preset: claude\n  max_turns: 25\nmax_cycles: 2\n"
                         "protected_paths: ['tests/test_subtract.py']\n")  # forces a FAIL, so two cycles
    action.handle(labeled_payload())
    calls = agent_calls(record)
    assert len(calls) == 2
    assert calls[0]["argv"] == ["-p", "--output-format", "stream-json", "--verbose", "--tools",
                                "Read,Edit,Write,Glob,Grep,Bash", "--allowedTools",
                                "Read,Edit,Write,Glob,Grep,Bash", "--permission-mode", "acceptEdits",
                                "--max-turns", "25"]
    assert calls[0]["env"]["ANTHROPIC_API_KEY"] == KEY and "GITHUB_TOKEN" not in calls[0]["env"]
    tracking = action.tracking()
    assert "3500 tokens (3000 in, 500 out), 8 turns, $0.0246" in tracking
    pr = next(iter(action.fake.pulls.values()))
    assert "$0.0246" in pr["body"]
    audit = [json.loads(l) for l in (action.tmp_path / "state" / "runs" / "audit.jsonl").read_text().splitlines()]
    assert [e["data"]["usage"]["cost_usd"] for e in audit if e["event"] == "runner.done"] == [0.0123, 0.0123]


def test_claude_turn_limit_pauses_cleanly_and_retry_resumes(action, agent, python_bin):
    record = agent("claude", scenario="max-turns", config="  max_turns: 3\n")
    action.handle(labeled_payload())
    fake = action.fake
    assert fake.issues[1]["labels"] == ["wo:blocked"]
    assert "**Stopped: budget**" in action.tracking() and "turn limit" in action.tracking()
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=action.workspace, check=True)
    partial = subprocess.run(["git", "show", "origin/wo/1-add-subtract-to-calc:calc/ops.py"], cwd=action.workspace,
                             capture_output=True, text=True).stdout
    assert "# half done" in partial, "the partial work is pushed"
    install_fake_agent(python_bin, "claude", "ok", record)
    action.say("/wo retry")
    assert fake.issues[1]["labels"] == ["wo:passed"]


def test_aider_preset_gives_the_in_scope_files_and_its_packet_is_extracted(action, agent):
    record = agent("aider", config="  model: sonnet\n")
    action.handle(labeled_payload())
    [call] = agent_calls(record)
    argv = call["argv"]
    phase = action.tmp_path / "state" / "runs" / "1" / "1-dev"
    assert argv[:4] == ["--model", "sonnet", "--message-file", str(phase / "prompt.md")]
    assert argv[argv.index("--edit-format") + 1] == "diff" and argv[argv.index("--llm-history-file") + 1] == str(
        phase / "aider.llm.history")
    assert {"--yes-always", "--no-auto-commits", "--no-gitignore", "--no-analytics", "--no-stream"} <= set(argv)
    ignore = argv[argv.index("--aiderignore") + 1]
    assert ignore == str(phase / "not-your-job.gitignore"), "out-of-scope files never join aider's chat"
    assert (phase / "not-your-job.gitignore").read_text().splitlines() == ["README.md", ".github/**", ".github/workorder.yml"]
    sep = argv.index("--")
    assert set(argv[sep + 1:]) == {"calc/__init__.py", "calc/ops.py", "tests/__init__.py", "tests/test_add.py"}
    assert action.fake.issues[1]["labels"] == ["wo:passed"]
    assert "2456 tokens (2300 in, 156 out), 1 turns, $0.0100" in action.tracking()


def test_a_missing_dod_packet_is_built_from_the_diff_and_flagged(action, agent):
    agent("aider", scenario="no-dod")
    action.handle(labeled_payload())
    review = action.fake.reviews[0]["body"]
    assert "dod.reported_by_action" in review and "MAJOR" in review
    pr = next(iter(action.fake.pulls.values()))
    assert "as reported by the action" in pr["body"]


def test_an_action_built_packet_can_be_accepted_by_config(action, agent):
    agent("codex", scenario="no-dod", config="accept_action_packet: true\n")
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"]
    assert "dod.reported_by_action" not in action.fake.reviews[0]["body"]


def test_cost_budget_pauses_after_the_phase_and_pushes_the_work(action, agent):
    agent("claude", config="budgets:\n  max_cost_usd: 0.01\n")
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    assert "cost budget of $0.01" in action.tracking() and not action.fake.reviews
    assert action.remote_sha("wo/1-add-subtract-to-calc") != "0" * 40


def test_token_budget(action, agent):
    agent("codex", config="budgets:\n  max_tokens: 1000\n")
    action.handle(labeled_payload())
    assert "token budget of 1000" in action.tracking()


def test_wall_clock_budget_is_a_budget_not_a_crash(action, python_bin):
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("sleep")
    action.commit_config("budgets:\n  wall_clock: 1\n")
    action.handle(labeled_payload())
    assert "**Stopped: budget**" in action.tracking() and "wall-clock budget of 1 s" in action.tracking()


def test_api_key_is_redacted_from_anything_posted(action, python_bin, tmp_path):
    action.env["OPENAI_API_KEY"] = KEY
    action.commit_config("runner:\n  env: [OPENAI_API_KEY]\n")
    script = tmp_path / "leaky.py"
    script.write_text("import os, sys\nprint('key is', os.environ['OPENAI_API_KEY'])\nsys.exit(2)\n")
    action.env["WORKORDER_RUNNER_COMMAND"] = f"python {script}"
    action.handle(labeled_payload())
    tracking = action.tracking()
    assert "key is ***" in tracking and KEY not in tracking


def test_install_agent_uses_the_pinned_version(action):
    action.commit_config("runner:\n  preset: codex\n  version: 0.168.0\n")
    out = io.StringIO()
    env = {"GITHUB_WORKSPACE": str(action.workspace), "PATH": "/usr/bin:/bin"}
    assert main(["install-agent", "--print"], environ=env, out=out) == 0
    assert out.getvalue().strip().endswith("npm install -g @openai/codex@0.168.0")
    out = io.StringIO()
    env["WORKORDER_RUNNER_PRESET"], env["WORKORDER_AGENT_VERSION"] = "aider", "0.86.1"
    main(["install-agent", "--print"], environ=env, out=out)
    assert out.getvalue().strip().endswith(f"{sys.executable} -m pip install aider-chat==0.86.1")


def test_rules_file_goes_into_the_prompt(action):
    ws = action.workspace
    (ws / "AGENTS.md").write_text("Always write type hints.\n")
    subprocess.run(["git", "add", "AGENTS.md"], cwd=ws, check=True)
    action.commit_config("")
    action.handle(labeled_payload())
    prompt = (action.tmp_path / "state" / "runs" / "1" / "1-dev" / "prompt.md").read_text()
    assert "TEAM RULES (from AGENTS.md" in prompt and "Always write type hints." in prompt


# -- usage parsing, unit level ---------------------------------------------------------------------
def test_usage_parsers(tmp_path):
    (tmp_path / "agent-events.jsonl").write_text(
        '{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":2,"output_tokens":5}}\nnot json\n'
        '{"type":"turn.completed","usage":{"input_tokens":20,"output_tokens":1}}\n')
    assert PRESETS['codex'].report(tmp_path).usage.model_dump() == {"tokens_in": 30, "tokens_out": 6, "cost_usd": 0.0, "turns": 2}
    (tmp_path / "agent-result.json").write_text('{"type":"result","subtype":"error_max_turns","num_turns":9,'
                                                '"total_cost_usd":0.5,"usage":{"input_tokens":3,"output_tokens":4}}')
    report = PRESETS['claude'].report(tmp_path)
    assert report.turn_limit_hit and report.usage.cost_usd == 0.5 and report.usage.turns == 9
    (tmp_path / "output.log").write_text("Tokens: 1.5M sent, 2k received. Cost: $1.20 message, $3.00 session.\n"
                                         "Tokens: 300 sent, 20 received.\n")
    assert PRESETS['aider'].report(tmp_path).usage.model_dump() == {"tokens_in": 1_500_300, "tokens_out": 2020, "cost_usd": 1.2, "turns": 2}


# -- the LLM PO reviewer ---------------------------------------------------------------------------
def reviewer(action, python_bin, tmp_path, scenario, runner="pass"):
    record = tmp_path / "reviewer-calls.jsonl"
    install_fake_agent(python_bin, "claude", scenario, record)
    action.env["ANTHROPIC_API_KEY"] = KEY
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command(runner)
    action.commit_config("reviewer:\n  preset: claude\nmax_cycles: 1\n")
    action.handle(labeled_payload())
    return agent_calls(record)


def test_llm_pass_cannot_clear_a_gate_blocker(action, python_bin, tmp_path):
    calls = reviewer(action, python_bin, tmp_path, "review-pass", runner="always-fail")
    assert len(calls) == 1 and "verify.failed" in calls[0]["stdin"], "the reviewer sees the gates' findings"
    assert "Evidence:" in calls[0]["stdin"] and "AssertionError" in calls[0]["stdin"]
    assert action.fake.reviews[0]["body"].startswith("## PO verdict: ❌ FAIL")


def test_llm_major_fails_a_change_the_gates_pass(action, python_bin, tmp_path):
    (action.workspace / "AGENTS.md").write_text("Every function has a docstring example.\n")
    subprocess.run(["git", "add", "AGENTS.md"], cwd=action.workspace, check=True)
    calls = reviewer(action, python_bin, tmp_path, "review-major")
    assert "Every function has a docstring example." in calls[0]["stdin"]
    assert calls[0]["argv"] == ["-p", "--output-format", "stream-json", "--verbose", "--tools", "Read,Glob,Grep",
                                "--allowedTools", "Read,Glob,Grep", "--max-turns", "10"]
    assert "GITHUB_TOKEN" not in calls[0]["env"] and calls[0]["env"]["ANTHROPIC_API_KEY"] == KEY
    assert "```diff" in calls[0]["stdin"] and "def subtract" in calls[0]["stdin"]
    body = action.fake.reviews[0]["body"]
    assert body.startswith("## PO verdict: ❌ FAIL") and "**llm.naming** _(LLM reviewer)_" in body


def test_llm_fail_without_findings_still_fails(action, python_bin, tmp_path):
    reviewer(action, python_bin, tmp_path, "review-fail-bare")
    assert "llm.verdict" in action.fake.reviews[0]["body"]


def test_invalid_reviewer_answer_is_retried_once_then_the_gates_decide(action, python_bin, tmp_path):
    calls = reviewer(action, python_bin, tmp_path, "review-invalid")
    assert len(calls) == 2
    body = action.fake.reviews[0]["body"]
    assert body.startswith("## PO verdict: ✅ PASS") and "rests on the gates alone" in body


def test_codex_reviewer_runs_read_only(action, python_bin, tmp_path):
    record = tmp_path / "codex-review.jsonl"
    install_fake_agent(python_bin, "codex", "review-major", record)
    action.env["OPENAI_API_KEY"] = KEY
    action.commit_config("reviewer:\n  preset: codex\nmax_cycles: 1\n")
    action.handle(labeled_payload())
    [call] = agent_calls(record)
    assert call["argv"][:5] == ["exec", "--json", "--sandbox", "read-only", "--skip-git-repo-check"]
    assert "llm.naming" in action.fake.reviews[0]["body"]
