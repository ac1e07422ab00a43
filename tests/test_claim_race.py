"""Path ownership's two races (:mod:`workorder.handlers.ownership`): a mutual wait (each of two overlapping
orders waits for the other, so neither is ever woken) and a re-run that skipped the look. Through `handle`
against the fake GitHub at REST level, with the scripted agent; the other run's writes are injected at a
request of this run (``before_request``), in the order the race needs."""

from __future__ import annotations

import json

import pytest

from conftest import WORK_ORDER, labeled_payload
from workorder.handlers import ownership
from workorder.loop.state import TRACKING_MARKER, State, TrackingState, decode_state, encode_state

OLD, NEW = "2000-01-01T00:00:00.000000+00:00", "9999-01-01T00:00:00.000000+00:00"


def state_of(action, number):
    bodies = [c["body"] for c in action.fake.issue_comments(number)
              if c["user"] == action.fake.bot_login and c["body"].startswith(TRACKING_MARKER)]
    return decode_state(bodies[0]) if bodies else None


def put_state(action, number, state: State, claimed_at: str, blockers=(), issue_labels=None):
    """Issue ``number`` (overlapping #1's scope) as another run left it: its label and tracking comment
    (claim ``claimed_at``; waiting for ``blockers``), written in place."""
    fake = action.fake
    if number not in fake.issues:
        fake.add_issue(number, f"Order {number}", WORK_ORDER, [])
    fake.issues[number]["labels"] = list(issue_labels or [f"wo:{state.value}"])
    s = TrackingState(issue=number, state=state, cycle=1, claims=["calc/**"], claimed_at=claimed_at,
                      scope_blockers=list(blockers))
    body = f"{TRACKING_MARKER}\n{state.value}\n{encode_state(s)}\n"
    mine = [c for c in fake.issue_comments(number) if c["user"] == fake.bot_login]
    if mine:
        mine[0]["body"] = body
    else:
        fake.add_comment(number, fake.bot_login, body)


def reason(out):
    return json.loads(out[out.index("{"):])["reason_code"]


def lists(method, path):
    return method == "GET" and path.endswith("/issues")


# -- 1. the mutual wait ------------------------------------------------------------------------------
@pytest.mark.parametrize("reclaims", [ownership.RECLAIMS, 0], ids=["fixed", "control"])
def test_the_older_claim_that_waited_for_an_unwritten_one_goes_on(action, monkeypatch, reclaims):
    """#2 is labelled running but has not written its claim when #1 looks: "" counts as the oldest, #1
    waits. Before #1's wait is written, #2 claims (younger), looks, sees #1 running and older, and waits
    for #1. After its wait #1 sees its only blocker waiting and claims afresh: it goes on. The control
    (no fresh claim) is the deadlock: both wait, and neither ever finishes to wake the other."""
    monkeypatch.setattr(ownership, "RECLAIMS", reclaims)
    action.fake.add_issue(2, "Order 2", WORK_ORDER, ["wo:running"])  # labelled, claim not written yet
    seen = []

    def race(method, path):
        if lists(method, path):
            seen.append(path)
        elif len(seen) == 1 and method != "GET" and path.endswith("/issues/1/labels"):  # #1's wait, not yet out
            put_state(action, 2, State.WAITING, NEW, blockers=[1])

    action.fake.before_request = race
    code, out = action.handle(labeled_payload())
    if reclaims:
        assert action.fake.issues[1]["labels"] == ["wo:passed"], out
        assert action.fake.issues[2]["labels"] == ["wo:passed"], "#1's end started #2 (the hand-over)"
    else:
        assert reason(out) == "scope_waiting" and action.fake.issues[1]["labels"] == ["wo:waiting"]
        assert state_of(action, 1).scope_blockers == [2] and state_of(action, 2).scope_blockers == [1], \
            "the deadlock: each waits for the other"


@pytest.mark.parametrize("reclaims", [ownership.RECLAIMS, 0], ids=["fixed", "control"])
def test_the_younger_claim_whose_blocker_waits_for_it_goes_on(action, monkeypatch, reclaims):
    """The same race from the younger side: #1 looks and sees #2 running with an older claim (#2's wait,
    for #1 seen as "" before, is not out yet) and waits; #2's wait lands before #1 checks. #1 claims afresh
    and goes on."""
    monkeypatch.setattr(ownership, "RECLAIMS", reclaims)
    put_state(action, 2, State.RUNNING, OLD)
    seen = []

    def race(method, path):
        if lists(method, path):
            seen.append(path)
            if len(seen) == 2:  # #1's check after its wait: #2's wait is out meanwhile
                put_state(action, 2, State.WAITING, OLD, blockers=[1])

    action.fake.before_request = race
    code, out = action.handle(labeled_payload())
    expected = ["wo:passed"] if reclaims else ["wo:waiting"]
    assert action.fake.issues[1]["labels"] == expected, out
    if reclaims:
        assert len(seen) >= 3 and state_of(action, 1).claimed_at > OLD


def test_a_fresh_claim_is_younger_than_one_made_while_it_waited(action):
    """The fresh claim gets a new time: a third order #3 that claimed and went on while #1 waited (its
    claim after #1's first) is older than #1's new claim, so #1 waits for #3 (with its first time, #1
    would rank older and run beside #3, which saw #1 waiting and went on)."""
    action.fake.add_issue(2, "Order 2", WORK_ORDER, ["wo:running"])
    seen = []

    def race(method, path):
        if lists(method, path):
            seen.append(path)
            if len(seen) == 2:  # #1 checks its blockers: #2 waits for it; #3 has claimed meanwhile
                put_state(action, 3, State.RUNNING, ownership.claim_time())
        elif len(seen) == 1 and method != "GET" and path.endswith("/issues/1/labels"):
            put_state(action, 2, State.WAITING, NEW, blockers=[1])

    action.fake.before_request = race
    code, out = action.handle(labeled_payload())
    assert reason(out) == "scope_waiting" and action.fake.issues[1]["labels"] == ["wo:waiting"]
    assert state_of(action, 1).scope_blockers == [3] and not action.fake.pulls


def test_a_wait_for_a_running_blocker_stays(action):
    """One blocker waits for #1, the other (#3) runs: #1 keeps waiting (#3 hands over when it ends)."""
    action.fake.add_issue(2, "Order 2", WORK_ORDER, ["wo:running"])
    put_state(action, 3, State.RUNNING, OLD)
    seen = []

    def race(method, path):
        if lists(method, path):
            seen.append(path)
        elif len(seen) == 1 and method != "GET" and path.endswith("/issues/1/labels"):
            put_state(action, 2, State.WAITING, NEW, blockers=[1])

    action.fake.before_request = race
    code, out = action.handle(labeled_payload())
    assert reason(out) == "scope_waiting" and state_of(action, 1).scope_blockers == [2, 3]
    assert len(seen) == 2, "one look, one check: no fresh claim while a blocker runs"


# -- 2. a re-run of a start that died before its look ended ----------------------------------------------
def died_after_its_claim(action, claimed_at):
    """#1 as a run left it that died between publishing its claim and its look's end: labelled running,
    its claim in the tracking comment, no phase finished."""
    put_state(action, 1, State.RUNNING, claimed_at)
    action.fake.issues[1]["body"] = WORK_ORDER


def test_a_rerun_of_a_claim_that_never_looked_looks_again(action):
    """#2's older overlapping claim was there when #1 died before its look: the re-run waits for it
    (before the fix it counted as holding its claim and ran beside #2)."""
    put_state(action, 2, State.RUNNING, OLD)
    died_after_its_claim(action, "2026-06-01T00:00:00.000000+00:00")
    code, out = action.handle(labeled_payload())
    assert reason(out) == "scope_waiting" and action.fake.issues[1]["labels"] == ["wo:waiting"], out
    assert state_of(action, 1).scope_blockers == [2] and not action.fake.pulls


def test_the_rerun_keeps_its_claims_time(action):
    """The re-run looks with the time it published (a younger #2 saw it then and backs off): it goes on."""
    put_state(action, 2, State.RUNNING, "2026-06-01T00:00:01.000000+00:00")
    died_after_its_claim(action, "2026-06-01T00:00:00.000000+00:00")
    code, out = action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"], out
    assert state_of(action, 1).claimed_at == "2026-06-01T00:00:00.000000+00:00"


# -- the stamp after the label ------------------------------------------------------------------------------
def test_a_claim_labelled_running_by_the_hook_is_stamped_after_the_label(action, monkeypatch):
    """A plan-first start is labelled ``running`` by the claim itself: its time is taken after that label
    is on (a time taken before it would let a run that looked in between rank younger than this one, though
    it never saw this claim: both would go on)."""
    from test_plan_first import use_planner

    action.commit_config("plan_first: [medium]\n")
    use_planner(action, ["calc/ops.py"])
    stamps: dict[str, list[str]] = {}

    def stamp() -> str:
        now = f"2026-12-07T06:00:{len(stamps):02d}.000000+00:00"
        stamps[now] = [f"{m} {p.rsplit('/repos/Codertocat/Hello-World', 1)[-1]}" for m, p in action.fake.calls]
        return now

    monkeypatch.setattr(ownership, "claim_time", stamp)
    action.handle(labeled_payload())
    before = stamps[state_of(action, 1).claimed_at]
    labelled = [i for i, call in enumerate(action.fake.calls) if call[1].endswith("/issues/1/labels")]
    assert labelled and labelled[0] < len(before), (labelled, before)
