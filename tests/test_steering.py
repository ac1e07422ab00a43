"""Reviews, pushes, work order edits and label tampering on a running work order (faked GitHub)."""

from __future__ import annotations

import json

import pytest

from conftest import WORK_ORDER, labeled_payload, load_payload
from workorder.loop.state import decode_state
from workorder.contracts.workorder import parse_work_order_body


def passed(action):
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def result_of(out: str) -> dict:
    return json.loads(out[out.index("{"):])


def review_payload(action, state="changes_requested", reviewer="Codertocat", body="Please rename", comments=()):
    fake = action.fake
    fake.reviews.append({"pull": action.pr, "event": "REQUEST_CHANGES", "body": body, "user": reviewer,
                         "comments": [{"path": p, "line": n, "body": t} for p, n, t in comments]})
    payload = load_payload("other/pull_request_review.submitted")
    payload["review"].update({"id": len(fake.reviews), "state": state, "body": body,
                              "user": {"login": reviewer, "type": "User"}})
    payload["pull_request"].update({"number": action.pr, "head": {"ref": "wo/1-add-subtract-to-calc", "sha": ""},
                                    "base": {"ref": "main", "sha": ""}})
    payload["sender"] = {"login": reviewer, "type": "User"}
    payload["repository"]["default_branch"] = "main"
    return payload


# -- reviews ----------------------------------------------------------------------------------
def test_changes_requested_review_runs_a_cycle_with_body_and_inline_comments(action):
    passed(action)
    payload = review_payload(action, body="Use clearer names.",
                             comments=[("calc/ops.py", 9, "call it difference"), ("tests/test_subtract.py", 8, "add a zero case")])
    code, out = action.handle(payload, event="pull_request_review")
    assert result_of(out)["decision"] == "done"
    prompt = (action.tmp_path / "state" / "runs" / "1" / "2-fix" / "prompt.md").read_text()
    for text in ("Use clearer names.", "calc/ops.py:9: call it difference", "tests/test_subtract.py:8: add a zero case"):
        assert text in prompt
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def test_approving_or_commenting_reviews_do_not_start_a_cycle(action):
    passed(action)
    for state in ("approved", "commented"):
        code, out = action.handle(review_payload(action, state=state), event="pull_request_review")
        assert result_of(out)["reason_code"] == "review_not_changes"


@pytest.mark.parametrize("role", ["admin", "maintain", "write", "triage", "read", "none"])
def test_permission_matrix_for_reviews(action, role):
    passed(action)
    if role == "none":
        action.fake.permissions.pop("reviewer", None)
    else:
        action.fake.permissions["reviewer"] = role
    code, out = action.handle(review_payload(action, reviewer="reviewer"), event="pull_request_review")
    allowed = role in ("admin", "maintain", "write")
    assert (result_of(out)["decision"] == "done") is allowed
    if not allowed:
        assert "needs write permission" in action.fake.issue_comments(action.pr)[-1]["body"]


def test_review_driven_cycles_have_their_own_cap(action):
    action.commit_config("max_human_cycles: 1\nrequire_human_approval: false\n")
    passed(action)
    action.handle(review_payload(action), event="pull_request_review")
    code, out = action.handle(review_payload(action), event="pull_request_review")
    assert result_of(out)["reason_code"] == "human_cap"
    assert "cap of fix cycles started by people" in action.fake.issue_comments(action.pr)[-1]["body"]


# -- the work order lock -------------------------------------------------------------------------
def edited_payload(body):
    payload = load_payload("issues/edited.1")
    payload["issue"].update({"number": 1, "body": body, "title": "Add subtract to calc",
                             "labels": [{"name": "wo:passed"}]})
    payload["repository"]["default_branch"] = "main"
    payload["sender"] = {"login": "Codertocat", "type": "User"}
    return payload


def test_an_edit_that_changes_nothing_parsed_does_not_stop_anything(action):
    passed(action)
    body = WORK_ORDER + "\nTypo fixed in this free text.\n"
    action.fake.issues[1]["body"] = body
    code, out = action.handle(edited_payload(body), event="issues")
    assert result_of(out)["reason_code"] == "edit_unchanged" and action.fake.issues[1]["labels"] == ["wo:passed"]


def test_an_edit_that_changes_scope_locks_until_unlock(action):
    passed(action)
    body = WORK_ORDER.replace("  - tests/**\n", "  - tests/**\n  - docs/**\n")
    action.fake.issues[1]["body"] = body
    code, out = action.handle(edited_payload(body), event="issues")
    assert result_of(out)["reason_code"] == "locked" and action.fake.issues[1]["labels"] == ["wo:blocked"]
    assert "/wo unlock" in action.fake.issue_comments(1)[-1]["body"]
    action.say("/wo fix anything")
    assert "refused" in action.replies()[-1]
    action.say("/wo unlock")
    assert action.fake.issues[1]["labels"] == ["wo:passed"]
    state = decode_state(action.tracking())
    assert state.lock_broken is False and "docs/**" in action.fake.issues[1]["body"]
    assert state.work_order_hash == parse_work_order_body(body).content_hash()


def test_the_loop_stops_at_the_next_phase_boundary_when_the_order_is_edited(action):
    fake = action.fake
    dod = action.tmp_path / "state" / "runs" / "1" / "1-dev" / "dod.json"

    def edit_once_the_runner_is_done(method, path):
        if dod.exists() and "docs/**" not in fake.issues[1]["body"]:
            fake.issues[1]["body"] = WORK_ORDER.replace("  - tests/**\n", "  - tests/**\n  - docs/**\n")

    fake.before_request = edit_once_the_runner_is_done
    action.handle(labeled_payload())
    assert fake.issues[1]["labels"] == ["wo:blocked"] and not fake.reviews
    assert "work_order_edited" in action.tracking()
    assert any("/wo unlock" in c["body"] for c in fake.issue_comments(1))


def test_abort_is_seen_at_the_next_phase_boundary(action):
    fake = action.fake
    dod = action.tmp_path / "state" / "runs" / "1" / "1-dev" / "dod.json"

    def person_sets_blocked(method, path):
        if dod.exists() and "wo:blocked" not in fake.issues[1]["labels"]:
            fake.issues[1]["labels"].append("wo:blocked")

    fake.before_request = person_sets_blocked
    action.handle(labeled_payload())
    assert fake.issues[1]["labels"] == ["wo:blocked"] and "aborted" in action.tracking() and not fake.reviews


# -- label integrity -----------------------------------------------------------------------------
def label_payload(action, label, action_name="labeled", sender="Codertocat"):
    payload = load_payload(f"issues/{action_name}.1")
    payload["issue"].update({"number": 1, "labels": [{"name": x} for x in action.fake.issues[1]["labels"]]})
    payload["label"] = {"name": label}
    payload["sender"] = {"login": sender, "type": "User"}
    payload["repository"]["default_branch"] = "main"
    return payload


def add_label(action, label, sender="Codertocat"):
    action.fake.issues[1]["labels"].append(label)
    return result_of(action.handle(label_payload(action, label, sender=sender))[1])


def test_a_state_label_added_without_permission_is_put_back(action):
    passed(action)
    action.fake.permissions["mallory"] = "triage"
    result = add_label(action, "wo:approved", sender="mallory")
    assert result["reason_code"] == "label_reverted" and action.fake.issues[1]["labels"] == ["wo:passed"]
    assert "needs at least write permission" in action.fake.issue_comments(1)[-1]["body"]


def test_a_state_change_the_table_forbids_is_put_back(action):
    passed(action)
    result = add_label(action, "wo:needs-answer")
    assert result["reason_code"] == "label_reverted" and action.fake.issues[1]["labels"] == ["wo:passed"]
    assert "not one the state table allows" in action.fake.issue_comments(1)[-1]["body"]


def test_a_loop_state_set_by_hand_is_put_back(action):
    passed(action)
    add_label(action, "wo:running")
    assert action.fake.issues[1]["labels"] == ["wo:passed"]
    assert "use a command instead" in action.fake.issue_comments(1)[-1]["body"]


def test_removing_the_state_label_is_put_back(action):
    passed(action)
    action.fake.issues[1]["labels"].remove("wo:passed")
    code, out = action.handle(label_payload(action, "wo:passed", action_name="unlabeled"))
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


@pytest.mark.parametrize("role", ["admin", "maintain", "write", "triage", "read", "none"])
def test_permission_matrix_for_state_labels(action, role):
    passed(action)
    if role == "none":
        action.fake.permissions.pop("someone", None)
    else:
        action.fake.permissions["someone"] = role
    result = add_label(action, "wo:blocked", sender="someone")
    allowed = role in ("admin", "maintain", "write")
    assert (result["reason_code"] == "label_accepted") is allowed
    assert action.fake.issues[1]["labels"] == (["wo:blocked"] if allowed else ["wo:passed"])
    if allowed:
        assert "#### Handoff" in action.tracking()


def test_approving_by_label_is_the_same_as_the_command(action):
    passed(action)
    add_label(action, "wo:approved")
    assert action.fake.issues[1]["labels"] == ["wo:approved"] and action.fake.statuses[-1]["state"] == "success"
