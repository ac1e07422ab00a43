"""Path ownership's claim goes out in the loop's own first running write (#20 item 9): one tracking write for
the claim and the running state, the claim's time stamped right before it, and the look at the others'
claims after it (claim, then look: :mod:`workorder.handlers.ownership`, :mod:`workorder.loop.scope_claim`).
Through `handle` against the fake GitHub, with the scripted agent."""

from __future__ import annotations

from conftest import labeled_payload

from workorder.handlers import ownership
from workorder.loop.state import TRACKING_MARKER, decode_state


def tracking_state(action):
    [body] = [c["body"] for c in action.fake.issue_comments(1)
              if c["user"] == action.fake.bot_login and c["body"].startswith(TRACKING_MARKER)]
    return decode_state(body)


def log_of(calls) -> list[str]:
    return [f"{method} {path.removeprefix('/repos/Codertocat/Hello-World')}" for method, path in calls]


def test_the_claim_is_the_loops_first_tracking_write_and_the_look_follows_it(action):
    seen = []

    def at_the_look(method, path):
        if method == "GET" and path.endswith("/issues") and not seen:
            seen.append(tracking_state(action))

    action.fake.before_request = at_the_look
    code, out = action.handle(labeled_payload())
    assert code == 0 and action.fake.issues[1]["labels"] == ["wo:passed"], out
    [claim] = seen
    assert claim.claims == ["calc/**", "tests/**"] and claim.claimed_at, claim
    assert claim.state.value == "running" and claim.phase == "dev" and claim.branch and claim.base_sha, \
        "the claim is in the loop's own running write (phase, branch, base), not a write of its own"
    log = log_of(action.fake.calls)
    look = log.index("GET /issues")
    assert log[look - 1] == "POST /issues/1/comments" and log[look + 1] == "GET /issues/1", \
        "no tracking edit between the claim and the agent: the next request is the boundary's re-read"


def test_the_claim_is_stamped_right_before_the_write_that_publishes_it(action, monkeypatch):
    """The later its time, the later a claim ranks; a time taken long before the claim is visible (before the
    work tree and the pre-work check) would let a younger run claim, look and go on in between."""
    stamps: dict[str, list[str]] = {}

    def stamp() -> str:
        now = f"2026-12-07T06:00:{len(stamps):02d}.000000+00:00"
        stamps[now] = log_of(action.fake.calls)
        return now

    monkeypatch.setattr(ownership, "claim_time", stamp)
    code, out = action.handle(labeled_payload())
    assert code == 0, out
    before = stamps[tracking_state(action).claimed_at]
    log = log_of(action.fake.calls)
    assert "PUT /issues/1/labels" in before and log[len(before)] == "POST /issues/1/comments", before
    early = [calls for now, calls in stamps.items() if calls != before]
    assert early and all("PUT /issues/1/labels" not in calls for calls in early), \
        "the handler's earlier time (before the loop) is not the one published"
