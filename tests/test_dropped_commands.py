"""#20 item 8: a loop-lane command whose run GitHub dropped for a run that no comment started (the trigger
label, a push, a review: one pending run per concurrency group) is answered by that run, after its loop,
not left silent until someone comments again. Control: without it the command has no reply."""

from __future__ import annotations

from conftest import labeled_payload

from workorder.handlers import labeled


def replies_to(action, comment) -> list[str]:
    marker = f"<!-- workorder:reply-to {comment['comment']['id']} -->"
    return [r for r in action.replies() if marker in r]


def test_a_start_dropped_for_the_label_run_is_answered_by_it(action):
    start = action.comment("/wo start")  # its own loop-lane run was dropped for the label's
    code, out = action.handle(labeled_payload())
    assert code == 0 and action.fake.issues[1]["labels"] == ["wo:passed"], out
    [reply] = replies_to(action, start)
    assert "`/wo start` refused: not possible while the work order is `passed`" in reply, reply


def test_control_without_it_the_dropped_start_waits_in_silence(action, monkeypatch):
    monkeypatch.setattr(labeled, "answer_waiting", lambda session: 0)
    start = action.comment("/wo start")
    action.handle(labeled_payload())
    assert replies_to(action, start) == []


def test_a_first_cycle_pass_with_nothing_waiting_costs_no_request_more(action):
    """The backlog is read from the comments the run listed when it loaded: no new request. (A person's
    comment is there so that they are listed at all: an issue that says it has none is not asked.)"""
    action.fake.add_comment(1, "Codertocat", "Looks good, go ahead.")
    action.handle(labeled_payload())
    assert action.fake.count("GET", r"/issues/1/comments$") == 1
