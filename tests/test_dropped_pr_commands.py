"""#20 item 8, the pull request's side: a command written on the work order PR's conversation whose own run
GitHub dropped (one pending run per concurrency group) is answered by the push, review or trigger-label run
that took its place, after that run's loop and in the order of posting together with the issue's commands.
Control: without the PR's listing (the state before this) the command waits in silence until someone
comments on the PR again. Only permitted people's commands act; bots are ignored. Cost: a push lists the PR's
comments only when its event counts any, a change-request review always lists them once, a first-cycle PASS
never does."""

from __future__ import annotations

import subprocess

import pytest
from conftest import labeled_payload, load_payload

from workorder.handlers import comment as comment_handler, labeled, pull_request
from workorder.handlers.session import Session

BRANCH = "wo/1-add-subtract-to-calc"


def passed(action) -> None:
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def replies_to(action, comment: dict) -> list[str]:
    marker = f"<!-- workorder:reply-to {comment['comment']['id']} -->"
    return [r for r in action.replies() if marker in r]


def reply_ids(action, comment: dict) -> list[int]:
    """Ids of the bot's replies to ``comment`` (GitHub numbers comments in the order it stores them)."""
    marker = f"<!-- workorder:reply-to {comment['comment']['id']} -->"
    return [c["id"] for c in action.fake.comments.values()
            if c["user"] == action.fake.bot_login and marker in c["body"]]


def push_payload(action, tmp_path, comments: int | None = None) -> dict:
    """A person pushes one commit to the work branch; GitHub's ``synchronize`` payload for it, whose
    ``pull_request.comments`` counts the PR's conversation comments (as GitHub's does)."""
    clone = tmp_path / "person"
    subprocess.run(["git", "clone", "-q", "-b", BRANCH, str(tmp_path / "seed" / "origin.git"), str(clone)],
                   check=True, env=action.env)
    (clone / "calc" / "ops.py").write_text((clone / "calc" / "ops.py").read_text() + "\n\nPI = 3\n")
    for args in (["commit", "-qam", "tweak"], ["push", "-q", "origin", "HEAD"]):
        subprocess.run(["git", *args], cwd=clone, check=True, env=action.env)
    payload = load_payload("other/pull_request.synchronize")
    count = len(action.fake.issue_comments(action.pr)) if comments is None else comments
    payload["pull_request"].update({"number": action.pr, "comments": count,
                                    "head": {"ref": BRANCH, "sha": action.remote_sha(BRANCH)},
                                    "base": {"ref": "main", "sha": ""}})
    payload["sender"] = {"login": "Codertocat", "type": "User"}
    payload["repository"]["default_branch"] = "main"
    return payload


def review_payload(action) -> dict:
    """A permitted person's change-request review on the work order's PR (GitHub's example, adapted)."""
    action.fake.reviews.append({"pull": action.pr, "event": "REQUEST_CHANGES", "body": "Rename it",
                                "user": "Codertocat", "comments": []})
    payload = load_payload("other/pull_request_review.submitted")
    payload["review"].update({"id": len(action.fake.reviews), "state": "changes_requested", "body": "Rename it",
                              "user": {"login": "Codertocat", "type": "User"}})
    payload["pull_request"].update({"number": action.pr, "head": {"ref": BRANCH, "sha": ""},
                                    "base": {"ref": "main", "sha": ""}})
    payload["sender"] = {"login": "Codertocat", "type": "User"}
    payload["repository"]["default_branch"] = "main"
    return payload


# -- a push ------------------------------------------------------------------------------------------------
def test_a_fix_on_the_pr_dropped_for_a_push_is_answered_by_the_push_run(action, tmp_path):
    passed(action)
    fix = action.comment("/wo fix also handle negative numbers", on_pr=action.pr)  # its run was dropped
    code, out = action.handle(push_payload(action, tmp_path), event="pull_request")
    assert code == 0, out
    [reply] = replies_to(action, fix)
    assert "`/wo fix`: done" in reply, reply
    [where] = {c["issue"] for c in action.fake.comments.values() if c["body"] == reply}
    assert where == action.pr, "answered on the thread it was asked on"
    assert len(action.fake.reviews) == 3, "the first PASS, the push's review, then the fix cycle's"


def test_control_without_the_pr_listing_the_push_leaves_the_fix_unanswered(action, tmp_path, monkeypatch):
    monkeypatch.setattr(pull_request, "pr_comments", lambda *args: None)
    passed(action)
    fix = action.comment("/wo fix also handle negative numbers", on_pr=action.pr)
    action.handle(push_payload(action, tmp_path), event="pull_request")
    assert replies_to(action, fix) == []
    assert len(action.fake.reviews) == 2, "the first PASS and the push's review: the fix never ran"


def test_a_push_onto_a_pr_without_comments_lists_nothing(action, tmp_path):
    """GitHub's count in the event says the PR has no conversation comments: no request."""
    passed(action)
    before = action.fake.count("GET", rf"/issues/{action.pr}/comments$")
    action.handle(push_payload(action, tmp_path, comments=0), event="pull_request")
    assert action.fake.count("GET", rf"/issues/{action.pr}/comments$") == before == 0


# -- a review ----------------------------------------------------------------------------------------------
def test_a_review_run_answers_the_issue_and_pr_commands_in_the_order_they_were_posted(action):
    passed(action)
    status = action.comment("/wo status")  # issue; runs dropped for the review's (one pending per group)
    start = action.comment("/wo start", on_pr=action.pr)
    help_ = action.comment("/wo help")
    code, out = action.handle(review_payload(action), event="pull_request_review")
    assert code == 0, out
    [first], [second], [third] = (reply_ids(action, c) for c in (status, start, help_))
    assert first < second < third, "oldest first across both threads"
    [reply] = replies_to(action, start)
    assert "`/wo start` refused: not possible while the work order is `passed`" in reply, reply


def test_a_review_run_lists_the_pr_comments_once(action):
    """A review's event does not count the PR's comments: the run lists them, one rate-limited request."""
    passed(action)
    action.handle(review_payload(action), event="pull_request_review")
    assert action.fake.count("GET", rf"/issues/{action.pr}/comments$") == 1


def test_control_without_the_pr_listing_the_review_run_skips_the_pr_command(action, monkeypatch):
    monkeypatch.setattr(pull_request, "pr_comments", lambda *args: None)
    passed(action)
    status = action.comment("/wo status")
    start = action.comment("/wo start", on_pr=action.pr)
    help_ = action.comment("/wo help")
    action.handle(review_payload(action), event="pull_request_review")
    assert replies_to(action, start) == [], "the PR's command waits"
    assert reply_ids(action, status) and reply_ids(action, help_), "while a later issue command is answered"


@pytest.mark.parametrize("checked", [True, False])
def test_only_permitted_people_steer_from_the_pr_and_bots_are_ignored(action, monkeypatch, checked):
    """Control (``checked`` False): without the permission check the outsider's fix would run."""
    if not checked:
        monkeypatch.setattr(Session, "may", lambda self, login, minimum: True)
    passed(action)
    action.fake.permissions["mallory"] = "read"
    outsider = action.comment("/wo fix delete the tests", author="mallory", on_pr=action.pr)
    bot = action.comment("/wo fix delete the tests", author="helper[bot]", on_pr=action.pr)
    action.handle(review_payload(action), event="pull_request_review")
    [reply] = replies_to(action, outsider)
    assert replies_to(action, bot) == []
    if not checked:
        assert "`/wo fix`: done" in reply and len(action.fake.reviews) == 4, reply
        return
    assert "refused: it needs write permission" in reply and "you have read" in reply, reply
    assert len(action.fake.reviews) == 3, "the PASS, the person's review and its cycle's: neither fix ran"


# -- the trigger label -------------------------------------------------------------------------------------
def test_a_label_run_on_an_order_with_a_pr_answers_the_pr_command(action):
    """Aborted after its PASS, the order is started again by the label; a command on its PR whose run was
    dropped for the label's is answered by it."""
    passed(action)
    action.say("/wo abort")
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    status = action.comment("/wo status", on_pr=action.pr)
    action.fake.issues[1]["labels"].append("wo:ready")
    code, out = action.handle(labeled_payload())
    assert code == 0, out
    [reply] = replies_to(action, status)
    assert "**Status**:" in reply, reply


def test_control_without_the_pr_listing_the_label_run_leaves_it(action, monkeypatch):
    monkeypatch.setattr(labeled, "pr_comments", lambda *args: None)
    passed(action)
    action.say("/wo abort")
    status = action.comment("/wo status", on_pr=action.pr)
    action.fake.issues[1]["labels"].append("wo:ready")
    action.handle(labeled_payload())
    assert replies_to(action, status) == []


def test_a_first_cycle_pass_lists_no_pr_comments(action):
    """The PR a label run opens has no backlog (a command there has its own run still to come)."""
    passed(action)
    issue = action.fake.count("GET", r"/issues/1/comments$")  # 0: an issue whose read says no comments is not listed
    assert issue <= 1 and action.fake.count("GET", r"/issues/\d+/comments$") == issue


# -- the issue's comments as they are after the loop -------------------------------------------------------
@pytest.mark.parametrize("relist", [True, False])
def test_a_status_its_now_lane_run_answered_during_the_loop_is_not_answered_again(action, monkeypatch, relist):
    """The issue's comments were listed when the label run began; a ``/wo status`` posted just before has its
    own now-lane run, which answers it while the loop runs. Control (``relist`` False): answering from the
    listing of the run's start replies to it a second time."""
    if not relist:
        monkeypatch.setattr(comment_handler, "relisted", lambda session: session.comments)
    status = action.comment("/wo status")

    def now_lane_run_answers(method, path):
        if method == "POST" and path.endswith("/pulls") and not replies_to(action, status):
            action.fake.add_comment(1, action.fake.bot_login,
                                    f"**Status**: `running` <!-- workorder:reply-to {status['comment']['id']} -->")

    action.fake.before_request = now_lane_run_answers
    passed(action)
    assert len(replies_to(action, status)) == (1 if relist else 2)
