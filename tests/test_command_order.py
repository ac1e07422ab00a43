"""#20 item 8: commands are answered in the order they were posted, also when the run of an earlier one was
dropped. A now-lane run (approve) that finds an earlier loop-lane command (fix) still waiting says it is
queued before answering anything later, and the next loop-lane run picks the fix up; a control without the
note shows the approve answered while the fix waits in silence."""

from __future__ import annotations

from conftest import labeled_payload

from workorder.handlers import comment as comment_handler


def passed(action):
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def bot_comments(action) -> list[str]:
    return [c["body"] for c in sorted(action.fake.comments.values(), key=lambda c: c["id"])
            if c["user"] == action.fake.bot_login]


def test_a_dropped_fix_is_said_queued_before_a_later_approve_is_answered_then_picked_up(action):
    passed(action)
    fix = action.comment("/wo fix also handle negative numbers")  # its loop-lane run was dropped
    fix_id = fix["comment"]["id"]
    code, out = action.say("/wo approve")
    assert code == 0 and out["reason"] == "1 command comment processed", out
    after = bot_comments(action)
    queued = next(i for i, b in enumerate(after) if f"<!-- workorder:queued {fix_id} -->" in b)
    approved = next(i for i, b in enumerate(after) if "approved head" in b)
    assert queued < approved, "the earlier fix is answered (as queued) before the approve"
    assert "`/wo fix`: queued" in after[queued] and f"reply-to {fix_id} " not in after[queued]
    action.say("/wo status")  # a second now-lane run does not repeat the note
    assert sum(f"workorder:queued {fix_id} " in b for b in bot_comments(action)) == 1
    action.handle(fix, event="issue_comment")  # the loop lane's next run (here: the dropped one, re-run)
    [reply] = [r for r in action.replies() if f"reply-to {fix_id} " in r]
    assert "`/wo fix`: done" in reply


def test_control_without_the_queued_note_approve_overtakes_the_waiting_fix(action, monkeypatch):
    monkeypatch.setattr(comment_handler, "say_queued", lambda *args: None)
    passed(action)
    fix = action.comment("/wo fix also handle negative numbers")
    action.say("/wo approve")
    fix_id = fix["comment"]["id"]
    assert not [b for b in bot_comments(action) if f" {fix_id} -->" in b], "the fix waits unanswered"
    assert "approved head" in action.replies()[-1], "while the later approve is answered"


def test_a_later_loop_command_is_left_to_its_own_lane_without_a_note(action):
    """Only commands before one the run answers get a note: a fix posted after the status is not in the way."""
    passed(action)
    status = action.comment("/wo status")
    fix = action.comment("/wo fix note")  # posted later; its run is still coming
    action.handle(status, event="issue_comment")
    assert not [b for b in bot_comments(action) if f" {fix['comment']['id']} -->" in b]
    assert "**Status**: `passed`" in action.replies()[-1]
