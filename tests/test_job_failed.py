"""A job that fails outside `workorder handle` says so on the issue: action.yml's last step, verbatim,
under the runner's bare ``python3 -S``, against the fake GitHub over real HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import yaml

from conftest import labeled_payload, load_payload
from fakegithub import FakeGitHub
from fakegithub_server import FakeGitHubServer

ROOT = Path(__file__).parent.parent
TOKEN = "ghs_failedjobtoken"
BOT = "github-actions[bot]"


def failure_step() -> dict:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    return next(s for s in action["runs"]["steps"] if "job_failed" in s.get("run", ""))


def run_step(tmp_path, server, event: str, payload: dict, **env) -> subprocess.CompletedProcess:
    (tmp_path / "event.json").write_text(json.dumps(payload))
    python3 = shutil.which("python3")
    assert python3
    base = {"PATH": f"{Path(python3).parent}:/usr/bin:/bin", "ACTION_PATH": str(ROOT),
            "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
            "GITHUB_REPOSITORY": "Codertocat/Hello-World", "GITHUB_API_URL": server.url,
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1",
            "WORKORDER_GITHUB_TOKEN": TOKEN, "WORKORDER_BOT_LOGIN": BOT, "WORKORDER_TRIGGER_LABEL": "wo:ready"}
    return subprocess.run([shutil.which("bash") or "/bin/bash", "-c", failure_step()["run"]], env={**base, **env},
                          capture_output=True, text=True, check=False, timeout=60)


def scene(labels: list[str]) -> FakeGitHub:
    fake = FakeGitHub()
    fake.add_issue(1, "Add subtract to calc", "body", labels)
    return fake


def test_the_step_runs_on_failure_or_cancel_in_mode_handle_with_inputs_through_env():
    step = failure_step()
    assert step["if"] == "(failure() || cancelled()) && inputs.mode == 'handle' && inputs.dry-run != 'true'"
    assert "${{" not in step["run"]
    assert step["env"]["WORKORDER_GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert step["run"].strip().endswith("python3 -B -E -S -m workorder.handlers.job_failed")
    leaked = subprocess.run([shutil.which("python3"), "-B", "-E", "-S", "-c",
                             "import sys, workorder.handlers.job_failed; print(sorted(sys.modules))"],
                            cwd=ROOT / "src", capture_output=True, text=True, check=True).stdout
    for package in ("yaml", "pydantic", "jinja2", "github", "requests"):
        assert f"'{package}'" not in leaked


def test_a_failed_install_is_said_once_per_run_and_running_becomes_blocked(tmp_path):
    fake = scene(["wo:running"])
    with FakeGitHubServer(fake, (TOKEN,)) as server:
        proc = run_step(tmp_path, server, "issues", labeled_payload(),
                        WORKORDER_OUTCOME_PYTHON="success", WORKORDER_OUTCOME_INSTALL="failure")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        [comment] = fake.issue_comments(1)
        assert comment["user"] == BOT
        assert "The job failed while installing workorder." in comment["body"]
        assert "https://github.com/Codertocat/Hello-World/actions/runs/4242" in comment["body"]
        assert "<!-- workorder:job-failed 4242 -->" in comment["body"]
        assert fake.issues[1]["labels"] == ["wo:blocked"]
        # a re-run attempt of the same run that fails again edits the one comment
        proc = run_step(tmp_path, server, "issues", labeled_payload(), GITHUB_RUN_ATTEMPT="2",
                        WORKORDER_OUTCOME_PYTHON="failure")
        assert proc.returncode == 0, proc.stdout + proc.stderr
    [comment] = fake.issue_comments(1)
    assert "actions/runs/4242/attempts/2" in comment["body"] and "actions/setup-python" in comment["body"]
    assert all("Authorization" not in r.body and r.token == TOKEN for r in server.requests)


def test_a_cancelled_job_of_the_trigger_label_unsticks_the_trigger(tmp_path):
    """The issue's case: setup failed (or the job was cancelled) before handle, the issue stayed wo:ready."""
    fake = scene(["wo:ready"])
    with FakeGitHubServer(fake, (TOKEN,)) as server:
        proc = run_step(tmp_path, server, "issues", labeled_payload(),
                        WORKORDER_OUTCOME_PYTHON="success", WORKORDER_OUTCOME_INSTALL="success",
                        WORKORDER_OUTCOME_HANDLE="cancelled")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [comment] = fake.issue_comments(1)
    assert "The job was cancelled" in comment["body"] and "add the trigger label again" in comment["body"]
    assert fake.issues[1]["labels"] == ["wo:blocked"]


def test_a_now_command_job_comments_but_leaves_the_live_loop_labels_alone(tmp_path):
    """Control: a /wo status job runs beside the issue's loop; it must not move the loop's label."""
    fake = scene(["wo:running"])
    payload = load_payload("other/issue_comment.created")
    payload["comment"]["body"] = "/wo status"
    payload["issue"]["number"] = 1
    with FakeGitHubServer(fake, (TOKEN,)) as server:
        proc = run_step(tmp_path, server, "issue_comment", payload, WORKORDER_OUTCOME_INSTALL="failure")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [comment] = fake.issue_comments(1)
    assert "Nothing about the work order changed" in comment["body"]
    assert fake.issues[1]["labels"] == ["wo:running"]


def test_a_marker_written_by_someone_else_is_not_the_bots_comment(tmp_path):
    """Control for the idempotency key: only a comment the bot authored counts; an outsider who pastes
    the marker does not silence the report (nor gets their comment edited)."""
    fake = scene(["wo:running"])
    fake.add_comment(1, "mallory", "<!-- workorder:job-failed 4242 -->")
    with FakeGitHubServer(fake, (TOKEN,)) as server:
        run_step(tmp_path, server, "issues", labeled_payload(), WORKORDER_OUTCOME_INSTALL="failure")
    comments = fake.issue_comments(1)
    assert [c["user"] for c in comments] == ["mallory", BOT]
    assert comments[0]["body"] == "<!-- workorder:job-failed 4242 -->"


def test_when_handle_reported_its_own_failure_nothing_more_is_posted(tmp_path):
    fake = scene(["wo:blocked"])
    with FakeGitHubServer(fake, (TOKEN,)) as server:
        proc = run_step(tmp_path, server, "issues", labeled_payload(), WORKORDER_OUTCOME_INSTALL="success",
                        WORKORDER_OUTCOME_HANDLE="failure", WORKORDER_HANDLE_DECISION="error")
        assert proc.returncode == 0 and server.requests == []
        # without the decision output (handle crashed) the failure is said
        run_step(tmp_path, server, "issues", labeled_payload(), WORKORDER_OUTCOME_INSTALL="success",
                 WORKORDER_OUTCOME_HANDLE="failure")
    [comment] = fake.issue_comments(1)
    assert "`workorder handle` failed." in comment["body"]


def test_a_refused_token_is_a_warning_not_a_crash(tmp_path):
    fake = scene(["wo:running"])
    with FakeGitHubServer(fake, (TOKEN,)) as server:
        proc = run_step(tmp_path, server, "issues", labeled_payload(), WORKORDER_GITHUB_TOKEN="wrong",
                        WORKORDER_OUTCOME_INSTALL="failure")
    assert proc.returncode == 1
    assert proc.stdout.startswith("::warning::could not report the failed job on issue #1:") and "401" in proc.stdout
    assert fake.issue_comments(1) == [] and fake.issues[1]["labels"] == ["wo:running"]
