"""Talking to the loop: slash-commands on the issue and its PR, against the faked GitHub."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import agent_command, labeled_payload
from workorder.handlers.slash import ParsedCommand, parse_commands
from workorder.handlers.route import lane_of


# -- the parser ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/wo status", [("status", "")]),
        ("/WO Status", [("status", "")]),
        ("   /wo   fix    handle   negatives  ", [("fix", "handle   negatives")]),
        ("> /wo abort\nquoted, not a command", []),
        ("```\n/wo abort\n```", []),
        ("~~~\n/wo abort\n~~~\n/wo status", [("status", "")]),
        ("please /wo abort", []),
        ("/wo status\n/wo fix use ints\nand keep add() as is", [("status", ""), ("fix", "use ints\nand keep add() as is")]),
        ("/wo", [("", "")]),
        ("/wo frobnicate now", [("frobnicate", "now")]),
        ("/wontfix", []),
        ("", []),
    ],
)
def test_parser(body, expected):
    assert [(c.verb, c.args) for c in parse_commands(body)] == expected


def test_parser_uses_the_configured_prefix():
    assert [c.verb for c in parse_commands("/po status\n/wo abort", "/po")] == ["status"]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(), max_size=400), st.sampled_from(["/wo", "/PO", "!x"]))
def test_no_comment_body_makes_the_parser_raise(body, prefix):
    commands = parse_commands(body, prefix)
    assert all(isinstance(c, ParsedCommand) and c.line >= 1 and c.verb == c.verb.lower() for c in commands)


def test_lanes():
    assert lane_of(parse_commands("/wo status\n/wo abort")) == "now"
    assert lane_of(parse_commands("/wo status\n/wo fix x")) == "loop"


# -- end to end ---------------------------------------------------------------------------------
def passed(action):
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def test_a_maintainer_drives_an_issue_from_ready_to_approved_with_comments_alone(action):
    assert action.fake.issues[1]["labels"] == ["wo:ready"]
    code, result = action.say("/wo start")
    fake = action.fake
    assert result["decision"] == "done" and fake.issues[1]["labels"] == ["wo:passed"]
    assert fake.statuses[-1]["state"] == "pending"
    code, result = action.say("/wo approve", on_pr=action.pr)
    assert fake.issues[1]["labels"] == ["wo:approved"]
    assert fake.statuses[-1]["state"] == "success" and fake.statuses[-1]["sha"] == action.remote_sha("wo/1-add-subtract-to-calc")
    assert "approved head" in action.replies()[-1]
    assert "workorder: **approved**" in action.tracking()


def test_accepted_commands_get_a_working_reply_that_becomes_the_result(action):
    action.fake.issues[1]["labels"] = []
    seen = []
    action.fake.before_request = lambda method, path: seen.extend(
        c["body"] for c in action.fake.comments.values() if "working on `/wo start`" in c["body"])
    payload = action.comment("/wo start")
    action.handle(payload, event="issue_comment")
    assert seen, "the claim comment says the command is being worked on while the loop runs"
    [reply] = action.replies()
    assert f"workorder:reply-to {payload['comment']['id']}" in reply and "`/wo start`: done" in reply


def test_status_replies_with_state_cycle_verdict_branch_pr_and_next_in_at_most_4_requests(action):
    passed(action)
    action.fake.calls.clear()
    code, result = action.say("/wo status", on_pr=action.pr)
    reply = action.replies()[-1]
    for text in ("`passed`", "cycle 1 of 2", "last PO verdict: PASS", "`wo/1-add-subtract-to-calc`",
                 f"#{action.pr}", "next: a person approves"):
        assert text in reply
    assert len(action.fake.calls) <= 4, action.fake.calls


def test_help_is_generated_from_the_command_metadata_with_legal_next_steps(action):
    passed(action)
    action.say("/wo help")
    reply = action.replies()[-1]
    for usage in ("/wo fix <notes>", "/wo approve [sha]", "/wo answer <text>", "/wo unlock", "/wo retry"):
        assert usage in reply
    assert "Legal now: `/wo status`, `/wo fix <notes>`, `/wo approve [sha]`, `/wo abort`" in reply


def test_unknown_verb_gets_the_command_list(action):
    passed(action)
    action.say("/wo frobnicate")
    assert "`/wo frobnicate` is not a command" in action.replies()[-1]


def test_illegal_command_is_refused_by_the_transition_table(action):
    passed(action)
    action.say("/wo answer integers")
    assert "refused: the runner has not asked a question" in action.replies()[-1]
    action.say("/wo retry")
    assert "refused: no failed phase to retry" in action.replies()[-1]


def test_fix_runs_a_corrective_cycle_with_the_notes(action):
    passed(action)
    action.say("/wo fix please also add a docstring example")
    fake = action.fake
    prompt = (action.tmp_path / "state" / "runs" / "1" / "2-fix" / "prompt.md").read_text()
    assert "please also add a docstring example" in prompt and "BEGIN REVIEWER NOTES" in prompt
    assert fake.issues[1]["labels"] == ["wo:passed"] and len(fake.reviews) == 2


def test_retry_reruns_the_failed_phase(action):
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("crash")
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:blocked"]
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("pass")
    action.say("/wo retry")
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def test_answer_resumes_with_the_answer_in_the_prompt(action):
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("question")
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:needs-answer"]
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("pass")
    action.say("/wo answer use integers only")
    prompt = (action.tmp_path / "state" / "runs" / "1" / "1-dev" / "prompt.md").read_text()
    assert "## ANSWER TO YOUR QUESTION" in prompt and "use integers only" in prompt
    assert "You asked: Integers or floats?" in prompt
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def test_abort_blocks_with_a_handoff_and_keeps_branch_and_pr(action):
    passed(action)
    action.say("/wo abort")
    fake = action.fake
    assert fake.issues[1]["labels"] == ["wo:blocked"] and len(fake.pulls) == 1
    assert "#### Handoff" in action.tracking()


def test_approve_with_a_sha_must_name_the_head(action):
    passed(action)
    action.say("/wo approve 0000000")
    assert "is not the pull request's head" in action.replies()[-1]
    head = action.remote_sha("wo/1-add-subtract-to-calc")
    action.say(f"/wo approve {head[:10]}")
    assert action.fake.issues[1]["labels"] == ["wo:approved"]


def test_approval_is_bound_to_the_head_commit(action, tmp_path):
    import subprocess

    passed(action)
    action.say("/wo approve")
    assert action.fake.statuses[-1]["state"] == "success"
    # A person pushes a new commit to the branch.
    clone = tmp_path / "person"
    subprocess.run(["git", "clone", "-q", "-b", "wo/1-add-subtract-to-calc", str(tmp_path / "seed" / "origin.git"),
                    str(clone)], check=True, env=action.env)
    (clone / "calc" / "ops.py").write_text((clone / "calc" / "ops.py").read_text() + "\n\nPI = 3\n")
    subprocess.run(["git", "commit", "-qam", "tweak"], cwd=clone, check=True, env=action.env)
    subprocess.run(["git", "push", "-q", "origin", "HEAD"], cwd=clone, check=True, env=action.env)
    new_head = action.remote_sha("wo/1-add-subtract-to-calc")
    payload = json.loads((action.tmp_path.parent / "x").read_text()) if False else None
    from conftest import load_payload

    payload = load_payload("other/pull_request.synchronize")
    payload["pull_request"].update({"number": action.pr, "head": {"ref": "wo/1-add-subtract-to-calc", "sha": new_head},
                                    "base": {"ref": "main", "sha": ""}})
    payload["sender"] = {"login": "Codertocat", "type": "User"}
    payload["repository"]["default_branch"] = "main"
    action.handle(payload, event="pull_request")
    statuses = [s for s in action.fake.statuses if s["sha"] == new_head]
    assert [s["state"] for s in statuses] == ["pending", "pending"]
    assert action.fake.issues[1]["labels"] == ["wo:passed"], "the gates pass again, but approval is gone"
    action.say("/wo approve")
    assert action.fake.statuses[-1] == {**action.fake.statuses[-1], "sha": new_head, "state": "success"}


def test_two_queued_commands_are_processed_in_one_run_in_order(action):
    passed(action)
    first = action.comment("/wo status")  # its run was cancelled while pending
    code, result = action.say("/wo abort", on_pr=action.pr)
    replies = action.replies()
    assert len(replies) == 2
    assert f"reply-to {first['comment']['id']}" in replies[0] and "**Status**: `passed`" in replies[0]
    assert "stopped" in replies[1]
    # A later run does not do them again.
    action.say("/wo status")
    assert len(action.replies()) == 3


def test_rerun_of_a_command_event_does_nothing_twice(action):
    passed(action)
    payload = action.comment("/wo abort")
    action.handle(payload, event="issue_comment")
    action.fake.issues[1]["labels"] = ["wo:passed"]  # would be visible if abort ran again
    action.handle(payload, event="issue_comment")
    assert len(action.replies()) == 1


def test_edited_comments_never_trigger(action):
    payload = action.comment("/wo start")
    payload["action"] = "edited"
    code, out = action.handle(payload, event="issue_comment")
    assert json.loads(out[out.index("{"):])["reason_code"] == "edited_comment" and action.fake.calls == []


def test_comment_without_a_command_costs_no_request(action):
    code, result = action.say("Looks good to me!")
    assert result["reason_code"] == "no_command" and action.fake.calls == []


def test_commands_on_an_unrelated_pull_request_are_ignored(action):
    passed(action)
    action.fake.pulls[500] = {"title": "x", "body": "<!-- workorder:issue 1 -->", "head": "feature", "base": "main",
                              "draft": False, "state": "open"}
    code, result = action.say("/wo abort", on_pr=500)
    assert result["reason_code"] == "not_work_order_pr" and action.fake.issues[1]["labels"] == ["wo:passed"]


# -- who may act ----------------------------------------------------------------------------------
ROLES = ["admin", "maintain", "write", "triage", "read", "none"]
MAY = {"admin": True, "maintain": True, "write": True, "triage": False, "read": False, "none": False}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("verb", ["status", "approve", *[pytest.param(v, marks=pytest.mark.slow) for v in (
    "help", "start", "fix x", "retry", "abort", "answer y", "unlock")]])  # fast tier: a read-only verb and a state change
def test_permission_matrix_for_commands(action, role, verb):
    passed(action)
    action.fake.permissions["someone"] = role
    if role == "none":
        del action.fake.permissions["someone"]
    labels_before = list(action.fake.issues[1]["labels"])
    action.say(f"/wo {verb}", author="someone")
    reply = action.replies()[-1]
    read_only = verb in ("status", "help")
    allowed = MAY[role] or (read_only and role != "none")
    assert ("refused: it needs" in reply) is (not allowed)
    if not allowed:
        assert action.fake.issues[1]["labels"] == labels_before


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_for_the_trigger_label(action, role):
    action.fake.permissions["Codertocat"] = role
    if role == "none":
        del action.fake.permissions["Codertocat"]
    code, out = action.handle(labeled_payload())
    assert (json.loads(out[out.index("{"):])["decision"] == "done") is MAY[role]


@pytest.mark.parametrize("who", ["bot", "self"])
def test_bots_and_the_action_itself_are_ignored_for_every_kind_of_event(action, who):
    from conftest import load_payload

    login = "dependabot[bot]" if who == "bot" else "github-actions[bot]"
    code, out = action.handle(labeled_payload(sender=login, sender_type="Bot"))
    assert json.loads(out[out.index("{"):])["reason_code"] == "bot_sender"
    code, result = action.say("/wo start", author=login)
    assert result["reason_code"] == "bot_sender"
    review = load_payload("other/pull_request_review.submitted")
    review["review"].update({"state": "changes_requested", "user": {"login": login, "type": "Bot"}})
    review["pull_request"]["head"]["ref"] = "wo/1-add-subtract-to-calc"
    review["sender"] = {"login": login, "type": "Bot"}
    code, out = action.handle(review, event="pull_request_review")
    assert json.loads(out[out.index("{"):])["reason_code"] == "bot_sender"
    assert action.fake.calls == []


def test_a_bot_listed_in_the_config_may_act(action):
    action.commit_config("allowed_bots: ['ci-helper[bot]']\n")
    action.fake.permissions["ci-helper[bot]"] = "write"
    action.fake.issues[1]["labels"] = []
    code, result = action.say("/wo start", author="ci-helper[bot]")
    assert result["decision"] == "done" and action.fake.issues[1]["labels"] == ["wo:passed"]


def test_permission_api_error_fails_closed_for_commands(action):
    passed(action)
    action.fake.fail_next("GET", r"/permission$", 500)
    action.fake.fail_next("GET", r"/permission$", 500)
    action.fake.fail_next("GET", r"/permission$", 500)
    action.fake.fail_next("GET", r"/permission$", 500)
    action.fake.fail_next("GET", r"/permission$", 500)
    action.fake.fail_next("GET", r"/permission$", 500)
    action.say("/wo abort")
    assert "refused" in action.replies()[-1] and action.fake.issues[1]["labels"] == ["wo:passed"]
