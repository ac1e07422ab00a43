"""Steering faults found end to end: a refused review must not error, native "blocked by" links
start dependents when their blockers close, the milestone board follows every state change, and a
fork's pull request is refused before anything is fetched or checked out."""

from __future__ import annotations

import json

import pytest
from conftest import labeled_payload, load_payload

from workorder.contracts.config import RepoConfig
from workorder.handlers.dependencies import has_native_blockers
from workorder.contracts.forge import Issue
from workorder.handlers.route import route_event

BRANCH = "wo/1-add-subtract-to-calc"


def result_of(out: str) -> dict:
    return json.loads(out[out.index("{"):])


def passed(action):
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def review_payload(action, reviewer="Codertocat", head_repo: object = "same"):
    """GitHub's example review payload, a change request on the work order's PR. ``head_repo``:
    "same" keeps the example's head repository (the base's), else the head repo object to send."""
    fake = action.fake
    fake.reviews.append({"pull": action.pr, "event": "REQUEST_CHANGES", "body": "Rename it", "user": reviewer})
    payload = load_payload("other/pull_request_review.submitted")
    payload["review"].update({"id": len(fake.reviews), "state": "changes_requested", "body": "Rename it",
                              "user": {"login": reviewer, "type": "User"}})
    payload["pull_request"]["number"] = action.pr
    payload["pull_request"]["head"].update({"ref": BRANCH, "sha": ""})
    if head_repo != "same":
        payload["pull_request"]["head"]["repo"] = head_repo
    payload["sender"] = {"login": reviewer, "type": "User"}
    payload["repository"]["default_branch"] = "main"
    return payload


def push_payload(action, sha, head_repo: object = "same"):
    payload = load_payload("other/pull_request.synchronize")
    payload["pull_request"]["number"] = action.pr
    payload["pull_request"]["head"].update({"ref": BRANCH, "sha": sha})
    if head_repo != "same":
        payload["pull_request"]["head"]["repo"] = head_repo
    payload["sender"] = {"login": "Codertocat", "type": "User"}
    payload["repository"]["default_branch"] = "main"
    return payload


# -- a refused review ---------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["triage", "read", "none"])
def test_a_review_by_someone_without_permission_is_refused_without_an_error(action, role):
    passed(action)
    if role != "none":
        action.fake.permissions["reviewer"] = role
    code, out = action.handle(review_payload(action, reviewer="reviewer"), event="pull_request_review")
    result = result_of(out)
    assert code == 0 and result["decision"] == "refused" and result["reason_code"] == "permission"
    assert "reviewer has" in result["reason"] and "needs at least write" in result["reason"]
    refusals = [c for c in action.fake.issue_comments(action.pr) if "did not start a fix cycle" in c["body"]]
    assert len(refusals) == 1 and action.fake.issues[1]["labels"] == ["wo:passed"]


def test_a_review_refused_by_the_state_is_not_an_error_either(action):
    action.commit_config("max_human_cycles: 0\n")
    passed(action)
    code, out = action.handle(review_payload(action), event="pull_request_review")
    assert code == 0 and result_of(out)["reason_code"] == "human_cap"


# -- native dependencies ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("open_count", "total", "asks"),
    [(None, None, True), (0, 0, False), (0, 2, True), (1, 1, True), (0, None, True), (None, 0, True)],
)
def test_the_native_dependency_list_is_read_unless_the_summary_says_none(open_count, total, asks):
    issue = Issue(number=1, title="t", body=None, labels=(), author="a", blocked_by_count=open_count,
                  total_blocked_by=total)
    assert has_native_blockers(issue) is asks


def test_closing_a_native_blocker_starts_its_dependent(action):
    fake = action.fake
    fake.add_issue(3, "Native blocker", "x", [])
    fake.issues[1]["blocked_by"] = [3]
    action.handle(labeled_payload())
    assert fake.issues[1]["labels"] == ["wo:waiting"]
    fake.issues[3]["state"] = "closed"  # now GitHub's summary says blocked_by 0, total_blocked_by 1
    payload = load_payload("issues/labeled.1")
    payload.pop("label")
    payload["action"] = "closed"
    payload["issue"].update({"number": 3, "state": "closed", "labels": []})
    payload["repository"]["default_branch"] = "main"
    _, out = action.handle(payload)
    assert result_of(out)["started"] == [1] and fake.issues[1]["labels"] == ["wo:passed"]


# -- the board follows state changes ------------------------------------------------------------
def board_of(fake):
    [board] = [i for i in fake.issues.values() if "wo:board" in i["labels"]]
    return board


def test_the_board_is_rewritten_when_a_work_order_of_the_milestone_changes_state(action):
    from test_milestone_github import dispatch, milestone

    fake = milestone(action)
    dispatch(action)
    board = board_of(fake)
    assert "| #10 | Ten | `not started` |" in board["body"]
    fake.issues[10]["labels"] = ["wo:ready"]
    fake.calls.clear()
    payload = labeled_payload()
    payload["issue"].update({"number": 10, "title": "Ten"})
    action.handle(payload)
    body = board_of(fake)["body"]
    assert "| #10 | Ten | `passed` | 1/2 | PASS |" in body
    assert "| #11 | Eleven | `passed` |" in body and "| #12 | Twelve | `passed` |" in body, "dependents too"
    assert "`passed` 4" in body
    edits = fake.count("PATCH", rf"/issues/{board['number']}$")
    lookups = sum(1 for m, p in fake.calls if m == "GET" and p.endswith("/issues"))
    assert edits == 3, "one edit per change (10, then its dependents 11 and 12)"
    assert lookups == 3 + 3 + 3 * 2, ("one board lookup per change, plus the listing of waiting dependents after each "
                                      "PASS, plus path ownership's claims and scope-waiters listings per run")
    assert fake.count("GET", r"/issues/13/comments$") == 0, "the board reads no other work order's tracking comment"


def test_commands_that_change_the_state_rewrite_the_board_too(action):
    from conftest import WORK_ORDER
    from test_milestone_github import dispatch, milestone

    fake = milestone(action)
    fake.add_issue(1, "Add subtract to calc", WORK_ORDER, ["wo:ready"], milestone=1)
    dispatch(action)
    action.handle(labeled_payload())
    assert "| #1 | Add subtract to calc | `passed` | 1/2 | PASS |" in board_of(fake)["body"]
    fake.calls.clear()
    action.say("/wo abort")
    assert "| #1 | Add subtract to calc | `blocked` |" in board_of(fake)["body"]
    assert fake.count("PATCH", rf"/issues/{board_of(fake)['number']}$") == 1
    fake.calls.clear()
    action.say("/wo status")
    assert fake.count("GET", r"/issues$") == 0, "no state change, no board lookup"


def test_a_work_order_in_no_milestone_costs_the_board_nothing(action):
    passed(action)
    lists = [c for c in action.fake.calls if c[0] == "GET" and c[1].endswith("/issues")]
    assert len(lists) == 3, "the listings of waiting dependents and path ownership's claims and waiters; no board lookup"


# -- fork pull requests -------------------------------------------------------------------------
FORKS = [{"id": 999, "full_name": "mallory/Hello-World"}, None]


@pytest.mark.parametrize("head_repo", FORKS, ids=["other-repo", "deleted-fork"])
@pytest.mark.parametrize("event", ["pull_request", "pull_request_target", "pull_request_review"])
def test_a_fork_pull_request_is_refused_before_any_request_fetch_or_checkout(action, event, head_repo):
    passed(action)
    fake = action.fake
    fake.calls.clear()
    runs = sorted(p.name for p in (action.tmp_path / "state" / "runs" / "1").iterdir())
    worktrees = sorted((action.tmp_path / "state").rglob("*"))
    fetch_head = action.workspace / ".git" / "FETCH_HEAD"
    fetched = fetch_head.stat().st_mtime_ns if fetch_head.exists() else None
    if event == "pull_request_review":
        payload = review_payload(action, head_repo=head_repo)
    else:
        payload = push_payload(action, "f" * 40, head_repo=head_repo)
    _, out = action.handle(payload, event=event)
    result = result_of(out)
    assert result["decision"] == "refused" and result["reason_code"] == "fork_pull_request"
    assert "comes from a fork" in result["reason"]
    assert fake.calls == [], "not one API request"
    assert sorted(p.name for p in (action.tmp_path / "state" / "runs" / "1").iterdir()) == runs
    assert sorted((action.tmp_path / "state").rglob("*")) == worktrees
    assert (fetch_head.stat().st_mtime_ns if fetch_head.exists() else None) == fetched, "nothing fetched"
    assert route_event(event, payload, RepoConfig()) == {"issue": "", "lane": "loop"}, "the job never starts"


def test_a_same_repository_pull_request_still_routes_and_runs(action):
    passed(action)
    payload = review_payload(action)
    assert payload["pull_request"]["head"]["repo"]["id"] == payload["pull_request"]["base"]["repo"]["id"]
    assert route_event("pull_request_review", payload, RepoConfig())["issue"] == "1"
    _, out = action.handle(payload, event="pull_request_review")
    assert result_of(out)["decision"] == "done"


def test_pull_request_target_reviews_the_work_branch_from_origin_never_the_payloads_head(action):
    """The payload's head SHA is not fetched or checked out: the gates run on the work branch the
    tracking state names, as origin has it."""
    passed(action)
    fake = action.fake
    claimed = "e" * 40  # what the event says the head is; no such commit exists anywhere
    _, out = action.handle(push_payload(action, claimed), event="pull_request_target")
    assert result_of(out)["decision"] == "done", "the gates ran again, on the branch as origin has it"
    assert all(s["sha"] != claimed for s in fake.statuses)
    assert {s["sha"] for s in fake.statuses} == {action.remote_sha(BRANCH)}
