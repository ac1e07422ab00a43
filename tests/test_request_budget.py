"""The run's request budget: below a reserve of the hour's requests the forge slows down (each request
waits its share of the time to the reset) instead of running into GitHub's rate limit; the waits go
through the injected clock and sleep, so these tests never wait."""

from __future__ import annotations

import pytest
import responses
from fakegithub import FakeGitHub

from workorder.github.budget import RequestBudget
from workorder.github.forge import GitHubForge
from workorder.github.retry import WorkorderRetry

NOW = 1_800_000_000.0


def forge(budget: RequestBudget | None = None) -> tuple[GitHubForge, list[float]]:
    slept: list[float] = []
    retry = WorkorderRetry(sleep=slept.append, clock=lambda: NOW)
    return GitHubForge("t", "Codertocat/Hello-World", retry=retry, budget=budget or RequestBudget(reserve=100),
                       seconds_between_requests=None, seconds_between_writes=None), slept


@pytest.fixture
def fake():
    gh = FakeGitHub(permissions={"octocat": "write"})
    gh.add_issue(1, "t", "b", [])
    gh.rate_reset = int(NOW) + 600
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        gh.install(rsps)
        yield gh


def test_with_few_requests_left_each_waits_its_share_of_the_time_to_the_reset(fake):
    fake.rate_remaining = 11
    f, slept = forge()
    for n in range(3):
        f.create_comment(1, f"c{n}")  # the first answer tells the forge what is left
    assert slept == pytest.approx([600 / 10, 600 / 9])
    assert len(fake.issue_comments(1)) == 3, "slowed down, nothing failed"


def test_with_plenty_left_nothing_waits(fake):
    """Control: the same requests above the reserve go at once."""
    fake.rate_remaining = 4000
    f, slept = forge()
    for n in range(3):
        f.create_comment(1, f"c{n}")
    assert slept == []


def test_with_nothing_left_the_run_waits_for_the_reset_instead_of_failing(fake):
    fake.rate_remaining = 1
    f, slept = forge()
    f.get_issue(1)  # answers with 0 left
    fake.rate_remaining = 5000  # the window resets
    assert f.create_comment(1, "after the reset").body == "after the reset"
    assert slept == [601.0]


def test_the_runs_pacing_waits_are_capped(fake):
    fake.rate_remaining = 1
    f, slept = forge(RequestBudget(reserve=100, max_wait_s=120))
    f.get_issue(1)
    fake.rate_remaining = 50
    f.create_comment(1, "a")
    f.create_comment(1, "b")
    assert slept == [120.0], "after the cap requests go at once (a 403/429 is then the retry policy's)"


def test_wait_s_table():
    b = RequestBudget(reserve=100)
    assert b.wait_s(-1, NOW + 60, NOW) == 0  # unknown before the first answer
    assert b.wait_s(101, NOW + 60, NOW) == 0
    assert b.wait_s(100, NOW + 60, NOW) == pytest.approx(0.6)
    assert b.wait_s(0, NOW + 60, NOW) == 61
    assert b.wait_s(5, NOW - 1, NOW) == 0  # the window has reset already
