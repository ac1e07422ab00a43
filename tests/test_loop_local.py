"""The engine over the local forge: every way a phase can end."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import WORK_ORDER, agent_command
from workorder.loop.audit import Journal
from workorder.contracts.config import parse_repo_config
from workorder.shell.gitops import Git
from workorder.handlers.context import HandlerContext
from workorder.local.forge import LocalForge
from workorder.loop.deps import LoopDeps
from workorder.handlers.router import dispatch
from workorder.agents.runner import RunnerSpec, scrub_environment
from workorder.templates import Templates


def run_loop(tmp_path: Path, workspace: Path, python_bin: Path, command: str, timeout: int = 60, body: str = WORK_ORDER,
             config_text: str = "", forge: LocalForge | None = None):
    env = {"PATH": f"{python_bin}:/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null"}
    git = Git(repo=workspace, env=env)
    config = parse_repo_config(config_text)
    if forge is None:
        forge = LocalForge(tmp_path / "forge", permissions={"alice": "write"})
        forge.open_issue("Add subtract to calc", body, ["wo:ready"], "alice")
    journal = Journal(tmp_path / "runs")
    deps = LoopDeps(forge=forge, git=git, config=config, templates=Templates(),
                    runner=RunnerSpec(command=command, timeout_s=timeout, env=scrub_environment(env)),
                    verify_env=scrub_environment(env), journal=journal, worktrees=tmp_path / "wt",
                    default_branch="main", base_ref="origin/main")
    payload = {"action": "labeled", "label": {"name": "wo:ready"},
               "issue": {"number": 1, "title": "Add subtract to calc", "body": body, "user": {"login": "alice"}},
               "repository": {"full_name": "o/r", "default_branch": "main"}, "sender": {"login": "alice"}}
    ctx = HandlerContext(templates=Templates(), config=config, bot_login=forge.bot_login, forge=forge,
                         loop_deps=lambda: deps)
    return dispatch("issues", payload, ctx), forge, journal


def tracking_body(forge: LocalForge) -> str:
    [comment] = forge.read()["issues"]["1"]["comments"]
    return comment["body"]


def test_first_cycle_pass(tmp_path, workspace, python_bin):
    outcome, forge, journal = run_loop(tmp_path, workspace, python_bin, agent_command("pass"))
    assert outcome.state.state == "passed" and outcome.state.cycle == 1
    events = [json.loads(line)["event"] for line in journal.audit_path.read_text().splitlines()]
    assert events[:3] == ["worktree", "loop.start", "runner.start"] and events[-1] == "loop.end"
    phase = tmp_path / "runs" / "1" / "1-dev"
    assert {"prompt.md", "output.log", "dod.json", "runner.json"} <= {p.name for p in phase.iterdir()}
    assert {"diff.patch", "verdict.json", "verify.json", "verify-1.log"} <= {p.name for p in (tmp_path / "runs" / "1" / "1-review").iterdir()}


def test_prompt_has_every_section_and_quotes_the_issue_as_data(tmp_path, workspace, python_bin):
    run_loop(tmp_path, workspace, python_bin, agent_command("pass"))
    prompt = (tmp_path / "runs" / "1" / "1-dev" / "prompt.md").read_text()
    for section in ("## TASK", "## SCOPE", "## NOT-YOUR-JOB", "## DONE-WHEN", "## VERIFY", "BEGIN WORK ORDER"):
        assert section in prompt
    assert "CORRECTIVE PROMPT" not in prompt


def test_fix_cycle_prompt_carries_the_corrective_prompt(tmp_path, workspace, python_bin):
    outcome, _, _ = run_loop(tmp_path, workspace, python_bin, agent_command("always-fail"))
    prompt = (tmp_path / "runs" / "1" / "2-fix" / "prompt.md").read_text()
    assert "## CORRECTIVE PROMPT" in prompt and "verify.failed" in prompt
    assert outcome.state.state == "blocked" and outcome.state.handoff.reason == "cap"


def test_max_cycles_from_config(tmp_path, workspace, python_bin):
    outcome, _, _ = run_loop(tmp_path, workspace, python_bin, agent_command("fail-differently"), config_text="max_cycles: 3\n")
    assert outcome.state.cycle == 3 and [h.phase for h in outcome.state.history].count("review") == 3


@pytest.mark.parametrize(
    ("scenario", "kind", "shown"),
    [
        ("crash", "crash", "something went badly wrong"),
        ("bad-json", "bad_packet", "not valid JSON"),
        ("bad-packet", "bad_packet", "summary is required"),
        ("no-packet", "no_packet", "wrote no DoD packet"),
        ("blocked", "runner_blocked", "missing a module"),
    ],
)
def test_runner_failures_block_with_the_reason_in_the_tracking_comment(tmp_path, workspace, python_bin, scenario, kind, shown):
    outcome, forge, _ = run_loop(tmp_path, workspace, python_bin, agent_command(scenario))
    assert outcome.state.state == "blocked" and outcome.state.failure.kind == kind
    assert forge.read()["issues"]["1"]["labels"] == ["wo:blocked"]
    body = tracking_body(forge)
    assert shown in body and "#### Handoff" in body


def test_runner_timeout_blocks(tmp_path, workspace, python_bin):
    outcome, forge, _ = run_loop(tmp_path, workspace, python_bin, agent_command("sleep"), timeout=1)
    assert outcome.state.failure.kind == "timeout" and "stopped after 1 s" in tracking_body(forge)


def test_runner_question_waits_for_an_answer(tmp_path, workspace, python_bin):
    outcome, forge, _ = run_loop(tmp_path, workspace, python_bin, agent_command("question"))
    assert outcome.state.state == "needs-answer"
    assert forge.read()["issues"]["1"]["labels"] == ["wo:needs-answer"]
    body = tracking_body(forge)
    assert "Integers or floats?" in body and "ints (recommended)" in body


def test_work_order_edit_restarts_instead_of_resuming(tmp_path, workspace, python_bin):
    forge = LocalForge(tmp_path / "forge", permissions={"alice": "write"})
    forge.open_issue("Add subtract to calc", WORK_ORDER, ["wo:ready"], "alice")
    run_loop(tmp_path, workspace, python_bin, agent_command("crash"), forge=forge)
    data = forge.read()
    data["issues"]["1"]["labels"] = ["wo:ready"]
    forge._save(data)
    outcome, _, _ = run_loop(tmp_path, workspace, python_bin, agent_command("pass"), forge=forge)
    assert outcome.state.state == "passed" and outcome.state.cycle == 1


def test_verify_side_effects_are_not_committed_as_work(tmp_path, workspace, python_bin):
    body = WORK_ORDER.replace("verify:\n", "verify:\n  - touch calc/verify_artifact.txt\n")
    outcome, _, _ = run_loop(tmp_path, workspace, python_bin, agent_command("pass"), body=body)
    assert outcome.state.state == "passed"
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", "wo/1-add-subtract-to-calc"], cwd=workspace,
                           capture_output=True, text=True).stdout
    assert "calc/verify_artifact.txt" not in files
