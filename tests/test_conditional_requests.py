"""Conditional reads: the forge remembers each GET's ETag for the run and asks again with If-None-Match;
GitHub (here the fake) answers 304 while the resource is unchanged, and a 304 costs no rate-limited request."""

from __future__ import annotations

import pytest
import responses
from fakegithub import FakeGitHub

from workorder.github.etags import EtagCache
from workorder.github.forge import GitHubForge
from workorder.github.retry import WorkorderRetry


def forge() -> GitHubForge:
    return GitHubForge("t", "Codertocat/Hello-World", retry=WorkorderRetry(sleep=lambda s: None),
                       seconds_between_requests=None, seconds_between_writes=None)


@pytest.fixture
def fake():
    gh = FakeGitHub(permissions={"octocat": "write"})
    gh.add_issue(1, "t", "b", ["wo:ready"])
    gh.add_comment(1, "octocat", "hello")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        gh.install(rsps)
        yield gh


def test_a_second_read_of_an_unchanged_issue_is_a_free_304(fake):
    f = forge()
    first, again = f.get_issue(1), f.get_issue(1)
    assert again == first and fake.not_modified == 1
    assert len(fake.calls) == 2 and fake.rate_limited() == 1


def test_a_changed_issue_is_read_in_full(fake):
    f = forge()
    f.get_issue(1)
    fake.issues[1]["body"] = "edited"
    assert f.get_issue(1).body == "edited" and fake.not_modified == 0 and fake.rate_limited() == 2
    assert f.get_issue(1).body == "edited" and fake.not_modified == 1  # the new ETag is remembered


def test_comments_and_permissions_are_read_conditionally_too(fake):
    f = forge()
    assert [c.body for c in f.list_comments(1)] * 2 == [c.body for c in f.list_comments(1) + f.list_comments(1)]
    assert f.collaborator_permission("octocat") == f.collaborator_permission("octocat") == "write"
    assert fake.rate_limited() == 2 and fake.not_modified == 3


def test_without_the_remembered_etag_every_read_counts(fake):
    """Control: a forge that forgets its ETags pays every read."""
    f = forge()
    for _ in range(3):
        f.etags = EtagCache()
        f.get_issue(1)
    assert fake.not_modified == 0 and fake.rate_limited() == 3


def test_a_write_after_a_cached_read_is_seen_by_the_next_read(fake):
    f = forge()
    f.get_issue(1)
    f.write_labels(1, ("wo:running",), replace=True)
    assert f.get_issue(1).labels == ("wo:running",) and fake.not_modified == 0
