"""`workorder handle --dry-run`: any real payload gives a plan or a clear "ignored", never a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import responses

from conftest import FIXTURES, WORK_ORDER, labeled_payload
from workorder.cli import main

ISSUES_EXAMPLES = sorted((FIXTURES / "webhooks" / "issues").glob("*.json"))
OTHER_EXAMPLES = sorted((FIXTURES / "webhooks" / "other").glob("*.json"))


def dry_run(tmp_path: Path, event: str, payload, workspace: Path | None = None) -> tuple[int, dict]:
    path = tmp_path / "event.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    env = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path), "PATH": "/usr/bin:/bin",
           "GITHUB_WORKSPACE": str(workspace or tmp_path)}
    out = io.StringIO()
    with responses.RequestsMock():  # any HTTP request would fail the test
        code = main(["handle", "--dry-run"], environ=env, out=out)
    return code, json.loads(out.getvalue())


def test_all_29_issues_examples_are_stored():
    assert len(ISSUES_EXAMPLES) == 29


@pytest.mark.parametrize("path", ISSUES_EXAMPLES, ids=lambda p: p.stem)
def test_every_issues_example_payload_gives_a_plan_or_ignored(tmp_path, path):
    payload = json.loads(path.read_text())
    code, result = dry_run(tmp_path, "issues", payload)
    expected = {"labeled": ("ignored", "not_trigger_label"), "unlabeled": ("ignored", "not_trigger_label"),
                "edited": ("plan", "would_check_lock")}.get(payload["action"], ("ignored", "no_handler"))
    assert code == 0 and result["reason"]
    assert (result["decision"], result["reason_code"]) == expected


@pytest.mark.parametrize("path", ISSUES_EXAMPLES, ids=lambda p: p.stem)
def test_every_issues_example_relabelled_as_a_work_order_gives_a_plan(tmp_path, path):
    payload = json.loads(path.read_text())
    payload["action"] = "labeled"
    payload["label"] = {"name": "wo:ready"}
    payload["issue"]["body"] = WORK_ORDER
    code, result = dry_run(tmp_path, "issues", payload)
    assert result["decision"] == "plan" and result["reason_code"] == "would_run"
    steps = [s["step"] for s in result["steps"]]
    assert steps[0] == "check_permission" and "run_se_runner" in steps and "post_review_and_commit_status" in steps


@pytest.mark.parametrize("path", OTHER_EXAMPLES, ids=lambda p: p.stem)
def test_other_events_are_ignored(tmp_path, path):
    event = path.stem.split(".")[0]
    code, result = dry_run(tmp_path, event, json.loads(path.read_text()))
    expected = {"issue_comment.created": "no_command", "issue_comment.edited": "edited_comment",
                "pull_request_review.submitted": "review_not_changes",
                "pull_request.synchronize": "not_work_order_pr",
                "workflow_dispatch.none": "no_milestone"}.get(path.stem, "no_handler")
    assert (code, result["decision"], result["reason_code"]) == (0, "ignored", expected)


def test_plan_for_an_invalid_work_order_lists_the_problems(tmp_path):
    code, result = dry_run(tmp_path, "issues", labeled_payload(body="Please fix the thing"))
    assert result["reason_code"] == "invalid_work_order" and result["problems"][0]["field"] == "body"


def test_plan_names_the_branch_and_verify_commands(tmp_path):
    code, result = dry_run(tmp_path, "issues", labeled_payload())
    steps = {s["step"]: s for s in result["steps"]}
    assert steps["create_branch"]["branch"] == "wo/1-add-subtract-to-calc"
    assert steps["run_verify"]["commands"] == ["python -m unittest discover -s tests -t ."]


def test_plan_reads_the_repo_config_of_the_default_branch(tmp_path, workspace):
    code, result = dry_run(tmp_path, "issues", labeled_payload(), workspace=workspace)
    steps = {s["step"]: s for s in result["steps"]}
    assert "workorder.demo.agent" in steps["run_se_runner"]["command"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "labeled"}, "issue"),
        ({"action": "labeled", "issue": {"number": "one"}, "repository": {}, "sender": {}}, "issue.number"),
        ({"action": "labeled", "issue": {"number": 0, "title": "t", "user": {"login": "a"}},
          "repository": {"full_name": "a/b"}, "sender": {"login": "a"}}, "issue.number"),
    ],
)
def test_malformed_payload_is_ignored_naming_the_field(tmp_path, payload, field):
    code, result = dry_run(tmp_path, "issues", payload)
    assert result["decision"] == "ignored" and result["reason_code"] == "bad_payload"
    assert field in [p["field"] for p in result["problems"]]


@pytest.mark.parametrize("payload", ["[]", '"labeled"', "null", '{"action": 5}'])
def test_payload_that_is_not_an_object_is_ignored(tmp_path, payload):
    code, result = dry_run(tmp_path, "issues", payload)
    assert result["decision"] == "ignored"


def test_unreadable_payload_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    env = {"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}
    assert main(["handle", "--dry-run"], environ=env, out=io.StringIO()) == 2
    assert "cannot read the event payload" in capsys.readouterr().err
    assert main(["handle", "--dry-run"], environ={}, out=io.StringIO()) == 2
