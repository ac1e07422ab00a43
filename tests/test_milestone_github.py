"""Milestones on GitHub: waiting work orders, blockers closing or passing, workflow_dispatch, the board."""

from __future__ import annotations

import json

import responses

from conftest import WORK_ORDER, labeled_payload, load_payload
from fakegithub import FakeGitHub
from workorder.github.forge import GitHubForge


def blocked_order(*numbers):
    return WORK_ORDER.replace("risk: medium\n", f"risk: medium\nblocked_by: {list(numbers)}\n")


def result_of(out):
    return json.loads(out[out.index("{"):])


def closed_payload(number):
    payload = load_payload("issues/labeled.1")
    payload["action"] = "closed"
    payload["issue"].update({"number": number, "state": "closed", "labels": []})
    payload.pop("label", None)
    payload["repository"]["default_branch"] = "main"
    return payload


def dispatch(action, milestone="M1", mode="matrix", issue=None):
    payload = load_payload("other/workflow_dispatch.none")
    payload["inputs"] = {"milestone": milestone, "mode": mode}
    payload["sender"] = {"login": "Codertocat", "type": "User"}
    if issue:
        action.env["WORKORDER_ISSUE"] = str(issue)
    code, out = action.handle(payload, event="workflow_dispatch")
    action.env.pop("WORKORDER_ISSUE", None)
    return code, result_of(out)


def test_a_work_order_with_an_open_blocker_waits(action):
    fake = action.fake
    fake.add_issue(2, "Prerequisite", "just an issue", [])
    fake.issues[1]["body"] = blocked_order(2)
    code, out = action.handle(labeled_payload(body=blocked_order(2)))
    assert result_of(out)["reason_code"] == "waiting"
    assert fake.issues[1]["labels"] == ["wo:waiting"] and not fake.pulls
    assert "Waiting for #2" in action.tracking()


def test_native_dependencies_count_too(action):
    fake = action.fake
    fake.add_issue(3, "Native blocker", "x", [])
    fake.issues[1]["blocked_by"] = [3]
    action.handle(labeled_payload())
    assert fake.issues[1]["labels"] == ["wo:waiting"] and "Waiting for #3" in action.tracking()


def test_a_closed_blocker_starts_its_waiting_dependents(action):
    fake = action.fake
    fake.add_issue(2, "Prerequisite", "just an issue", [])
    fake.issues[1]["body"] = blocked_order(2)
    action.handle(labeled_payload(body=blocked_order(2)))
    fake.issues[2]["state"] = "closed"
    code, out = action.handle(closed_payload(2))
    result = result_of(out)
    assert result["reason_code"] == "dependents_started" and result["started"] == [1]
    assert fake.issues[1]["labels"] == ["wo:passed"]


def test_a_blocker_that_passes_starts_its_dependents_in_the_same_run(action):
    fake = action.fake
    fake.add_issue(2, "Do the prerequisite", WORK_ORDER, ["wo:ready"])
    fake.issues[1]["body"] = blocked_order(2)
    action.handle(labeled_payload(body=blocked_order(2)))
    assert fake.issues[1]["labels"] == ["wo:waiting"]
    payload = labeled_payload()
    payload["issue"].update({"number": 2, "title": "Do the prerequisite"})
    action.handle(payload)
    assert fake.issues[2]["labels"] == ["wo:passed"] and fake.issues[1]["labels"] == ["wo:passed"]


def milestone(action):
    """Milestone M1 (#1): 10 ready, 11 blocked_by 10, 12 natively blocked by 10, 13 already passed."""
    fake = action.fake
    fake.issues.clear()
    fake.milestones[1] = "M1"
    fake.add_issue(10, "Ten", WORK_ORDER, [], milestone=1)
    fake.add_issue(11, "Eleven", blocked_order(10), [], milestone=1)
    fake.add_issue(12, "Twelve", WORK_ORDER, [], milestone=1, blocked_by=[10])
    fake.add_issue(13, "Thirteen", WORK_ORDER, ["wo:passed"], milestone=1)
    fake.add_issue(14, "Not a work order", "chatter", [], milestone=1)
    return fake


def test_dispatch_outputs_the_ready_work_orders_as_a_matrix(action):
    fake = milestone(action)
    code, result = dispatch(action)
    assert result["reason_code"] == "milestone_planned" and result["matrix"] == [10]
    assert action.outputs()["matrix"] == "[10]"
    assert fake.issues[11]["labels"] == ["wo:waiting"] and fake.issues[12]["labels"] == ["wo:waiting"]
    assert fake.issues[10]["labels"] == [] and not fake.pulls
    assert fake.count("GET", r"/issues$") == 3, \
        "the milestone is listed once, the board looked up once, the running claims once (path ownership)"


def test_a_matrix_job_runs_its_one_work_order(action):
    fake = milestone(action)
    dispatch(action)
    code, result = dispatch(action, issue=10)
    assert result["decision"] == "done" and fake.issues[10]["labels"] == ["wo:passed"]
    assert fake.issues[11]["labels"] == ["wo:passed"] and fake.issues[12]["labels"] == ["wo:passed"], \
        "the dependents of a passed work order start"


def test_sequential_mode_runs_the_milestone_in_one_job(action):
    fake = milestone(action)
    code, result = dispatch(action, mode="sequential")
    assert result["started"] == [10, 11, 12]
    assert all(fake.issues[n]["labels"] == ["wo:passed"] for n in (10, 11, 12))


def test_the_progress_board_is_one_pinned_issue_edited_in_place(action):
    fake = milestone(action)
    dispatch(action)
    [board] = [i for i in fake.issues.values() if "wo:board" in i["labels"]]
    body = board["body"]
    assert "`waiting` 2" in body and "`passed` 1" in body and "`not started` 1" in body
    assert "| #13 | Thirteen | `passed` |" in body
    assert "```mermaid" in body and "n10 --> n11" in body and "n10 --> n12" in body
    assert fake.pinned == [board["number"]]
    dispatch(action, issue=10)
    dispatch(action)
    assert len([i for i in fake.issues.values() if "wo:board" in i["labels"]]) == 1
    body = next(i for i in fake.issues.values() if "wo:board" in i["labels"])["body"]
    assert "`passed` 4" in body and "| #10 | Ten | `passed` | 1/2 | PASS |" in body


def test_dispatch_by_milestone_title_and_unknown_milestone(action):
    milestone(action)
    code, result = dispatch(action, milestone="M1")
    assert result["matrix"] == [10]
    code, result = dispatch(action, milestone="Nope")
    assert result["reason_code"] == "no_such_milestone"


def test_dispatch_by_someone_without_permission_is_refused(action):
    milestone(action)
    action.fake.permissions["Codertocat"] = "read"
    code, result = dispatch(action)
    assert result["decision"] == "refused"


def test_listing_a_2000_issue_milestone_costs_at_most_20_requests():
    fake = FakeGitHub(repo="o/r")
    fake.milestones[1] = "Big"
    for n in range(1, 2001):
        fake.add_issue(n, f"Issue {n}", WORK_ORDER, [], milestone=1)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        forge = GitHubForge("t", "o/r", seconds_between_requests=None, seconds_between_writes=None)
        issues = forge.list_issues(milestone=1)
    assert len(issues) == 2000 and {i.blocked_by_count for i in issues} == {0}
    assert len(fake.calls) <= 20, len(fake.calls)


def test_dispatch_dry_run_is_a_plan(tmp_path):
    import io

    from workorder.cli import main

    path = tmp_path / "event.json"
    payload = load_payload("other/workflow_dispatch.none")
    payload["inputs"] = {"milestone": "M1"}
    path.write_text(json.dumps(payload))
    out = io.StringIO()
    with responses.RequestsMock():
        main(["handle", "--dry-run"], environ={"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": str(path),
                                               "GITHUB_WORKSPACE": str(tmp_path)}, out=out)
    assert json.loads(out.getvalue())["reason_code"] == "would_plan_milestone"
