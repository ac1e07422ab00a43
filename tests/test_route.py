"""`workorder route`: the issue and lane of an event, from the payload alone."""

from __future__ import annotations

import io
import json

import pytest

from conftest import labeled_payload, load_payload
from workorder.cli import main
from workorder.config import RepoConfig
from workorder.route import route_event

CFG = RepoConfig()


def comment(body, on_pr_body=None):
    payload = load_payload("other/issue_comment.created")
    payload["comment"]["body"] = body
    payload["issue"]["number"] = 7
    if on_pr_body is not None:
        payload["issue"].update({"number": 70, "pull_request": {"url": "x"}, "body": on_pr_body})
    return payload


@pytest.mark.parametrize(
    ("event", "payload", "expected"),
    [
        ("issues", labeled_payload(), {"issue": "1", "lane": "loop"}),
        ("issues", labeled_payload(label="bug"), {"issue": "1", "lane": "now"}),
        ("issue_comment", comment("/wo status"), {"issue": "7", "lane": "now"}),
        ("issue_comment", comment("/wo abort\n/wo approve"), {"issue": "7", "lane": "now"}),
        ("issue_comment", comment("/wo fix x"), {"issue": "7", "lane": "loop"}),
        ("issue_comment", comment("/wo status", "Closes #7\n<!-- workorder:issue 7 -->"), {"issue": "7", "lane": "now"}),
        ("issue_comment", comment("/wo status", "an unrelated PR"), {"issue": "", "lane": "now"}),
        ("push", {"ref": "x"}, {"issue": "", "lane": "now"}),
        ("issues", [], {"issue": "", "lane": "now"}),
        ("issues", {"issue": {"number": "1"}}, {"issue": "", "lane": "now"}),
    ],
)
def test_route(event, payload, expected):
    assert route_event(event, payload, CFG) == expected


def test_pull_request_events_route_by_head_branch():
    payload = load_payload("other/pull_request.synchronize")
    payload["pull_request"]["head"]["ref"] = "wo/12-add-things"
    assert route_event("pull_request_target", payload, CFG) == {"issue": "12", "lane": "loop"}
    payload["pull_request"]["head"]["ref"] = "feature/x"
    assert route_event("pull_request", payload, CFG)["issue"] == ""


@pytest.mark.parametrize(
    ("head_repo", "issue"),
    [("same", "12"), ({"id": 1}, ""), (None, ""), ({"full_name": "x/y"}, ""), ("absent", "12")],
)
def test_fork_pull_requests_route_nowhere(head_repo, issue):
    payload = load_payload("other/pull_request.synchronize")
    payload["pull_request"]["head"]["ref"] = "wo/12-add-things"
    if head_repo == "absent":
        del payload["pull_request"]["head"]["repo"]
    elif head_repo != "same":
        payload["pull_request"]["head"]["repo"] = head_repo
    for event in ("pull_request", "pull_request_target", "pull_request_review"):
        assert route_event(event, payload, CFG) == {"issue": issue, "lane": "loop"}


def test_route_command_writes_github_output(tmp_path):
    (tmp_path / "event.json").write_text(json.dumps(comment("/wo retry")))
    env = {"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
           "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_WORKSPACE": str(tmp_path)}
    assert main(["route"], environ=env, out=io.StringIO()) == 0
    assert (tmp_path / "out").read_text() == "issue=7\nlane=loop\n"
