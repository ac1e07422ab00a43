"""Every command that starts work or changes the merge gate gets a 👀 reaction first thing in the run that
handles it (README "Steering from GitHub"); help and status answer at once without one."""

from __future__ import annotations

import pytest

from conftest import labeled_payload


@pytest.mark.parametrize("verb", ["approve", "abort", "retry", "start", "unlock", "fix notes"])
def test_a_command_that_acts_is_acknowledged_with_eyes_first(action, verb):
    action.handle(labeled_payload())
    before = len(action.fake.calls)
    action.say(f"/wo {verb}")
    [cid] = [c for c, v in action.fake.comments.items() if v["body"] == f"/wo {verb}"]
    assert action.fake.comments[cid].get("reactions") == ["eyes"]
    first = action.fake.calls[before]
    assert first[0] == "POST" and f"/issues/comments/{cid}/reactions" in first[1], action.fake.calls[before:before + 3]


@pytest.mark.parametrize("verb", ["help", "status"])
def test_help_and_status_answer_without_a_reaction(action, verb):
    action.handle(labeled_payload())
    action.say(f"/wo {verb}")
    [cid] = [c for c, v in action.fake.comments.items() if v["body"] == f"/wo {verb}"]
    assert not action.fake.comments[cid].get("reactions")


def test_a_refused_reaction_does_not_fail_the_command(action):
    from fakegithub import fault

    action.handle(labeled_payload())
    action.fake.fault_on("POST", r"/reactions$", fault("403"))
    code, reply = action.say("/wo abort")
    assert code == 0 and reply["decision"] == "done", reply
