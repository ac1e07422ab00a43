"""The SE runner contract: prompt file in, DoD packet out; failures are phase failures, never crashes."""

from __future__ import annotations

import json
import sys

import pytest

from workorder.agents.runner import RunnerSpec, redact, run_se_runner, scrub_environment


def run(tmp_path, script: str, timeout: float = 20, env=None):
    (tmp_path / "wt").mkdir(exist_ok=True)
    agent = tmp_path / "agent.py"
    agent.write_text(script)
    spec = RunnerSpec(command=f"{sys.executable} {agent}", timeout_s=timeout, env=env or {"PATH": "/usr/bin:/bin"})
    return run_se_runner(spec, tmp_path / "wt", "the prompt", tmp_path / "phase", {"WORKORDER_CYCLE": "1"})


GOOD = 'import json, os\njson.dump({"status": "done", "summary": "ok"}, open(os.environ["WORKORDER_RESULT_FILE"], "w"))\n'


def test_good_packet_is_parsed_and_prompt_is_given(tmp_path):
    script = 'import os\nassert open(os.environ["WORKORDER_PROMPT_FILE"]).read() == "the prompt"\nprint("hello")\n' + GOOD
    outcome = run(tmp_path, script)
    assert outcome.failure is None and outcome.packet.summary == "ok" and outcome.exit_code == 0
    assert "hello" in (tmp_path / "phase" / "output.log").read_text()
    assert (tmp_path / "phase" / "prompt.md").read_text() == "the prompt"


def test_crash_is_a_failure_with_output_tail(tmp_path):
    outcome = run(tmp_path, 'import sys\nprint("it broke")\nsys.exit(4)\n')
    assert (outcome.failure, outcome.exit_code) == ("crash", 4) and "it broke" in outcome.output_tail


def test_timeout_kills_the_runner_and_its_children(tmp_path):
    script = 'import subprocess\nprint("working", flush=True)\nsubprocess.run(["sleep", "60"])\n'
    outcome = run(tmp_path, script, timeout=1)
    assert outcome.failure == "timeout" and outcome.exit_code is None and outcome.duration_s < 30
    assert "working" in outcome.output_tail


def test_missing_packet(tmp_path):
    assert run(tmp_path, "print('done, trust me')\n").failure == "no_packet"


def test_bad_json_names_line_and_column(tmp_path):
    outcome = run(tmp_path, 'import os\nopen(os.environ["WORKORDER_RESULT_FILE"], "w").write("{not json")\n')
    assert outcome.failure == "bad_packet" and "not valid JSON (line 1, column 2" in outcome.detail


def test_invalid_packet_names_the_fields(tmp_path):
    script = 'import os, json\njson.dump({"status": "finished", "files_changed": "x"}, open(os.environ["WORKORDER_RESULT_FILE"], "w"))\n'
    outcome = run(tmp_path, script)
    assert outcome.failure == "bad_packet"
    for field in ("status", "summary", "files_changed"):
        assert field in outcome.detail


def test_question_needs_its_question(tmp_path):
    script = 'import os, json\njson.dump({"status": "question", "summary": "?"}, open(os.environ["WORKORDER_RESULT_FILE"], "w"))\n'
    outcome = run(tmp_path, script)
    assert outcome.failure == "bad_packet" and "question" in outcome.detail


def test_stale_packet_from_an_earlier_run_is_not_reused(tmp_path):
    assert run(tmp_path, GOOD).failure is None
    assert run(tmp_path, "pass\n").failure == "no_packet"


def test_environment_is_scrubbed():
    base = {"PATH": "/bin", "HOME": "/h", "GITHUB_TOKEN": "t", "GH_TOKEN": "t", "INPUT_GITHUB-TOKEN": "t",
            "ACTIONS_RUNTIME_TOKEN": "t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t", "AWS_SECRET_ACCESS_KEY": "s",
            "OPENAI_API_KEY": "k", "LC_ALL": "C"}
    assert scrub_environment(base) == {"PATH": "/bin", "HOME": "/h", "LC_ALL": "C"}
    assert scrub_environment(base, ["OPENAI_API_KEY"])["OPENAI_API_KEY"] == "k"
    assert "GITHUB_TOKEN" not in scrub_environment(base, ["GITHUB_TOKEN"])
    assert scrub_environment(base, pass_github_token=True)["GITHUB_TOKEN"] == "t"


def test_runner_sees_only_the_environment_it_is_given(tmp_path):
    script = 'import os, json\njson.dump({"status": "done", "summary": json.dumps(sorted(os.environ))}, open(os.environ["WORKORDER_RESULT_FILE"], "w"))\n'
    outcome = run(tmp_path, script, env={"PATH": "/usr/bin:/bin"})
    names = set(json.loads(outcome.packet.summary)) - {"PWD", "SHLVL", "_", "LC_CTYPE"}
    assert names == {"PATH", "WORKORDER_PROMPT_FILE", "WORKORDER_RESULT_FILE", "WORKORDER_PHASE_DIR", "WORKORDER_CYCLE"}


@pytest.mark.parametrize("token", ["ghs_" + "a" * 36, "ghp_" + "B" * 36, "github_pat_" + "c" * 40,
                                   "ghs_" + "x" * 200])
def test_redact_hides_github_tokens(token):
    assert redact(f"push failed with {token} in url") == "push failed with *** in url"
    assert redact("secret-value here", ["secret-value"]) == "*** here"


def test_verify_never_tests_stale_bytecode_the_agent_left(tmp_path):
    """A same-size fix in the same second as the agent's own test run: Python would trust the old .pyc."""
    import os
    import subprocess

    from workorder.evidence.verify import run_verify_commands

    module = tmp_path / "m.py"
    module.write_text("def f(a, b):\n    return b - a\n")
    os.utime(module, (1_700_000_000, 1_700_000_000))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    subprocess.run([sys.executable, "-c", "import m"], cwd=tmp_path, env=env, check=True)  # the agent's run
    assert list((tmp_path / "__pycache__").iterdir())
    module.write_text("def f(a, b):\n    return a - b\n")  # the fix: same size
    os.utime(module, (1_700_000_000, 1_700_000_000))  # same second
    check = f"{sys.executable} -c 'import m; assert m.f(5, 3) == 2, m.f(5, 3)'"
    [run] = run_verify_commands([check], tmp_path, {"PATH": env.get("PATH", "")}, 30, tmp_path / "logs")
    assert run.exit_code == 0, run.output_tail


@pytest.mark.parametrize("kind", ["budget", "timeout", "crash", "agent_error", "no_packet", "bad_packet"])
def test_every_runner_failure_kind_has_its_sentence(kind):
    from workorder.agents.runner import failure_detail

    text = failure_detail(kind, timeout_s=90.0, exit_code=2, said="model not found", problems=["status is missing"])
    assert text and text == text.strip()
    assert failure_detail("no such kind") == "", "an unknown kind renders nothing (so the table above must cover all)"
