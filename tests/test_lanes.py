"""Lanes and claims: a run processes only the commands of its own lane, and a command is claimed on
GitHub before it runs, so a command is never lost and never run twice, even when runs overlap.

Overlapping runs are real: while one ``workorder handle`` waits on a request to the fake GitHub,
the test handles another event in full (as a second workflow run would), then lets the first go on.
"""

from __future__ import annotations

from conftest import labeled_payload

from workorder.loop.state import decode_state

FIX_DIR = ("state", "runs", "1", "2-fix")


def passed(action):
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def during(action, when, then):
    """Run ``then()`` once, inside the current run, before the first request for which ``when(method,
    path)`` holds (the other run's requests do not re-trigger it)."""
    done = []

    def hook(method, path):
        if not done and when(method, path):
            done.append(True)
            then()

    action.fake.before_request = hook
    return done


def replies_to(action, comment_id):
    return [r for r in action.replies() if f"reply-to {comment_id} " in r]


def fix_prompts(action):
    return sorted(p.name for p in action.tmp_path.joinpath(*FIX_DIR[:-1]).iterdir() if p.name.endswith("-fix"))


def test_a_status_run_leaves_a_fix_queued_behind_the_running_loop_to_the_loop_lane(action):
    dod = action.tmp_path / "state" / "runs" / "1" / "1-dev" / "dod.json"
    queued = {}

    def person_comments_while_the_loop_runs():
        queued["fix"] = action.comment("/wo fix also handle negative numbers")  # its run waits in the loop lane
        queued["status"] = action.say("/wo status")  # the now lane runs at once

    ran = during(action, lambda m, p: dod.exists(), person_comments_while_the_loop_runs)
    action.handle(labeled_payload())
    assert ran and action.fake.issues[1]["labels"] == ["wo:passed"]
    fix_id = queued["fix"]["comment"]["id"]
    assert queued["status"][1]["reason"] == "1 command comment processed"
    assert not replies_to(action, fix_id), "the now lane must not answer (and so lose) a loop-lane command"
    assert "**Status**: `running`" in action.replies()[-1]
    action.fake.before_request = None
    action.handle(queued["fix"], event="issue_comment")  # the queued loop-lane run
    [reply] = replies_to(action, fix_id)
    assert "`/wo fix`: done" in reply and action.fake.issues[1]["labels"] == ["wo:passed"]
    prompt = action.tmp_path.joinpath(*FIX_DIR, "prompt.md").read_text()
    assert "also handle negative numbers" in prompt


def test_when_both_lanes_start_together_the_fix_runs_once(action):
    passed(action)
    fix = action.comment("/wo fix add a docstring example")
    status = {}
    # The status run reads the issue before the fix run has written anything, then runs to its end.
    during(action, lambda m, p: m in ("POST", "PATCH"), lambda: status.setdefault("result", action.say("/wo status")))
    action.handle(fix, event="issue_comment")
    assert status, "the status run overlapped the fix run"
    assert fix_prompts(action) == ["2-fix"] and len(action.fake.reviews) == 2
    assert action.fake.issues[1]["labels"] == ["wo:passed"]
    assert len(replies_to(action, fix["comment"]["id"])) == 1
    [status_reply] = [r for r in action.replies() if "**Status**" in r]
    assert "**Status**: `passed`" in status_reply


def test_two_runs_of_one_command_race_and_only_the_claim_holder_runs_it(action):
    passed(action)
    fix = action.comment("/wo fix add a docstring example")
    fix_id = fix["comment"]["id"]
    second = {}
    # Both runs list the comments before either claims: the second run's whole life happens while
    # the first is posting its claim (GitHub stores the second's claim first).
    during(action, lambda m, p: m == "POST" and p.endswith("/issues/1/comments"),
           lambda: second.setdefault("out", action.handle(fix, event="issue_comment")))
    code, out = action.handle(fix, event="issue_comment")
    assert second and code == 0
    assert fix_prompts(action) == ["2-fix"], "the fix ran once"
    assert len(action.fake.reviews) == 2 and action.fake.issues[1]["labels"] == ["wo:passed"]
    [reply] = replies_to(action, fix_id)
    assert "`/wo fix`: done" in reply
    notes = [c for c in action.fake.issue_comments(1) if f"workorder:claim-lost {fix_id}" in c["body"]]
    assert len(notes) == 1 and "another workorder run took it first" in notes[0]["body"]
    assert '"reason": "0 command comments processed"' in out


def test_a_rerun_after_the_claim_holder_finished_does_nothing(action):
    passed(action)
    fix = action.comment("/wo fix add a docstring example")
    action.handle(fix, event="issue_comment")
    calls = len(action.fake.calls)
    _, out = action.handle(fix, event="issue_comment")
    assert fix_prompts(action) == ["2-fix"] and len(action.replies()) == 1
    assert '"reason": "0 command comments processed"' in out
    assert len(action.fake.calls) - calls <= 3, "a re-run only reads"


def test_a_loop_run_replays_dropped_commands_in_order(action):
    """#20 item 8: a loop run answers an earlier dropped now-lane command first (never out of order)."""
    passed(action)
    dropped_status = action.comment("/wo status")  # its now-lane run was dropped
    dropped_fix = action.comment("/wo fix first note")  # its loop-lane run was dropped
    action.say("/wo fix second note")
    [status_reply] = replies_to(action, dropped_status["comment"]["id"])
    assert "**Status**: `passed`" in status_reply, "answered first, before the fixes ran"
    assert action.replies().index(status_reply) == 0
    assert "`/wo fix`: done" in replies_to(action, dropped_fix["comment"]["id"])[0]
    assert fix_prompts(action) == ["2-fix", "3-fix"]
    action.say("/wo help")  # a later now-lane run does not answer it again
    assert len(replies_to(action, dropped_status["comment"]["id"])) == 1


def test_a_now_command_older_than_a_running_fix_is_not_skipped(action):
    """The loop lane's ``last_command_id`` watermark does not hide now-lane commands."""
    passed(action)
    status = action.comment("/wo status")  # posted first, its run starts after the fix's
    fix = action.comment("/wo fix note")
    during(action, lambda m, p: m == "POST" and p.endswith("/reviews"),
           lambda: action.handle(status, event="issue_comment"))
    action.handle(fix, event="issue_comment")
    [reply] = replies_to(action, status["comment"]["id"])
    # #20 item 8: the fix's run answers the earlier status first (in order); its own run then finds it answered
    assert "**Status**: `passed`" in reply and action.replies().index(reply) == 0
    assert decode_state(action.tracking()).last_command_id == fix["comment"]["id"]
