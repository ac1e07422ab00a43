"""Retries: every method is retried on 5xx, 429 and rate-limit 403s, waits are capped by the run's budget,
and a create GitHub may have applied is looked up before it is repeated."""

from __future__ import annotations

import re

import pytest
import responses
from fakegithub import FakeGitHub, fault

from workorder.contracts.forge import ForgeError, LabelSpec
from workorder.github.forge import GitHubForge
from workorder.github.retry import WorkorderRetry


def forge(max_wait_s: float = 60) -> tuple[GitHubForge, list[float]]:
    slept: list[float] = []
    retry = WorkorderRetry(max_wait_s=max_wait_s, sleep=slept.append)
    return GitHubForge("t", "Codertocat/Hello-World", retry=retry, seconds_between_requests=None,
                       seconds_between_writes=None), slept


@pytest.fixture
def fake():
    gh = FakeGitHub(permissions={"octocat": "maintain"})
    gh.add_issue(1, "t", "b", [])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        gh.install(rsps)
        yield gh


def test_get_is_retried_after_a_server_error(fake):
    fake.fail_next("GET", r"/issues/1$", 502)
    f, _ = forge()
    assert f.get_issue(1).number == 1
    assert fake.count("GET", r"/issues/1$") == 2


def test_rate_limit_429_is_retried_after_retry_after(fake):
    fake.fail_next("GET", r"/permission$", 429, {"message": "rate"}, {"Retry-After": "3"})
    f, _ = forge()
    assert f.collaborator_permission("octocat") == "maintain"
    assert fake.count("GET", r"/permission$") == 2


def test_secondary_rate_limit_403_on_a_create_is_retried(fake):
    fake.fail_next("POST", r"/issues/1/comments$", 403,
                   {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "2"})
    f, _ = forge()
    f.create_comment(1, "hello")
    assert fake.count("POST", r"/comments$") == 2 and len(fake.issue_comments(1)) == 1


def test_a_wait_beyond_the_cap_fails_instead_of_sleeping(fake):
    fake.fail_next("GET", r"/issues/1$", 429, {"message": "rate"}, {"Retry-After": "3600"})
    f, slept = forge(max_wait_s=60)
    with pytest.raises(ForgeError):
        f.get_issue(1)
    assert slept == [] and fake.count("GET", r"/issues/1$") == 1


def test_create_failing_with_5xx_is_looked_up_then_created_once(fake):
    fake.fail_next("POST", r"/issues/1/comments$", 502)
    f, slept = forge()
    f.create_comment(1, "hello")
    assert [c["body"] for c in fake.issue_comments(1)] == ["hello"]
    assert fake.count("POST", r"/comments$") == 2 and fake.count("GET", r"/comments$") == 1 and slept == [1.0]


@pytest.mark.parametrize("method, path, call", [
    ("POST", r"/issues/1/comments$", lambda f: f.create_comment(1, "hello")),
    ("POST", r"/pulls/7/reviews$", lambda f: f.create_review(7, "a" * 40, "COMMENT", "PASS", [])),
    ("POST", r"/statuses/", lambda f: f.set_commit_status("a" * 40, "success", "workorder/verdict", "PASS", None)),
    ("POST", r"/pulls$", lambda f: f.create_pull_request("wo/1-x", "main", "t", "b", draft=True)),
])
def test_a_create_that_github_applied_but_answered_502_is_found_not_repeated(fake, method, path, call):
    fake.pulls[7] = {"title": "t", "body": "b", "head": "wo/9-y", "base": "main", "draft": True, "state": "open"}
    fake.fault_on(method, path, fault("applied-502"))
    f, _ = forge()
    call(f)
    assert fake.count(method, path) == 1
    assert len(fake.issue_comments(1)) + len(fake.reviews) + len(fake.statuses) + len(fake.pulls) == 2


@pytest.mark.parametrize("kind, waits", [("5xx", [1.0]), ("403-secondary", [2.0]), ("429", [1.0]), ("applied-502", [1.0])])
def test_every_method_is_retried_on_transient_failures(fake, kind, waits):
    fake.add_comment(1, "github-actions[bot]", "old")
    [cid] = fake.comments
    for method, path, call in [("PATCH", r"/comments/\d+$", lambda f: f.edit_comment(1, cid, "new")),
                               ("POST", r"/issues/1/labels$", lambda f: f.add_label(1, "wo:running")),
                               ("DELETE", r"/labels/wo:running$", lambda f: f.remove_label(1, "wo:running")),
                               ("GET", r"/issues/1$", lambda f: f.get_issue(1))]:
        fake.fault_on(method, path, fault(kind))
        f, slept = forge()
        call(f)
        assert slept == waits, (method, path)
    assert fake.comments[cid]["body"] == "new" and fake.issues[1]["labels"] == []


def test_primary_rate_limit_waits_until_the_reset(fake):
    fake.fault_on("GET", r"/issues/1$", fault("403-primary"))
    reset = int(fake.faults_on[0][2].headers["x-ratelimit-reset"])
    slept: list[float] = []
    retry = WorkorderRetry(max_wait_s=60, sleep=slept.append, clock=lambda: reset - 10)
    f = GitHubForge("t", "Codertocat/Hello-World", retry=retry, seconds_between_requests=None, seconds_between_writes=None)
    assert f.get_issue(1).number == 1 and slept == [11.0]


def test_waits_of_a_run_stay_within_its_budget(fake):
    for _ in range(2):
        fake.fault_on("GET", r"/issues/1$", fault("429"))
    f, slept = forge(max_wait_s=1.5)
    with pytest.raises(ForgeError) as info:
        f.get_issue(1)
    assert slept == [1.0] and info.value.transient and "reading issue #1" in str(info.value)


def test_server_errors_back_off_exponentially_then_give_up_as_transient(fake):
    for _ in range(5):
        fake.fault_on("GET", r"/issues/1$", fault("5xx"))
    f, slept = forge()
    with pytest.raises(ForgeError) as info:
        f.get_issue(1)
    assert slept == [1.0, 2.0, 4.0, 8.0] and info.value.transient and info.value.status == 503


@pytest.mark.parametrize("kind", ["401", "403", "404", "422"])
def test_refusals_are_permanent_and_not_retried(fake, kind):
    fake.fault_on("POST", r"/issues/1/comments$", fault(kind))
    f, slept = forge()
    with pytest.raises(ForgeError) as info:
        f.create_comment(1, "hello")
    assert not info.value.transient and info.value.status == int(kind) and info.value.call == "commenting on #1"
    assert slept == [] and fake.count("POST", r"/comments$") == 1 and not fake.issue_comments(1)


def test_pull_request_create_that_failed_but_happened_is_found(fake):
    fake.pulls[7] = {"title": "t", "body": "b", "head": "wo/1-x", "base": "main", "draft": True, "state": "open"}
    fake.fail_next("POST", r"/pulls$", 502)
    f, _ = forge()
    pr = f.create_pull_request("wo/1-x", "main", "t", "b", draft=True)
    assert pr.number == 7 and fake.count("POST", r"/pulls$") == 1


def test_draft_refused_falls_back_to_a_ready_pull_request(fake):
    fake.fail_next("POST", r"/pulls$", 422, {"message": "Draft pull requests are not supported in this repository."})
    f, _ = forge()
    pr = f.create_pull_request("wo/1-x", "main", "t", "b", draft=True)
    assert pr.draft is False and fake.pulls[pr.number]["draft"] is False


def test_existing_label_is_not_an_error(fake):
    fake.labels["wo:running"] = {"color": "fbca04", "description": ""}
    f, _ = forge()
    f.create_label(LabelSpec("wo:running", "fbca04", "d"))
    assert fake.count("POST", r"/labels$") == 1


def test_removing_a_label_that_is_gone_is_not_an_error(fake):
    f, _ = forge()
    f.remove_label(1, "wo:ready")
    assert fake.count("DELETE", r"/labels/wo:ready$") == 1


def test_pagination_asks_for_100_per_page(fake):
    f, _ = forge()
    assert f.list_repo_labels() == [] and f.list_comments(1) == []  # the fake asserts per_page=100


def test_github_enterprise_api_url_is_used():
    with responses.RequestsMock() as rsps:
        rsps.get(re.compile(r"https://ghe\.example\.com(:443)?/api/v3/repos/o/r/collaborators/u/permission"),
                 json={"permission": "admin", "role_name": "admin"})
        f = GitHubForge("t", "o/r", "https://ghe.example.com/api/v3", seconds_between_requests=None,
                        seconds_between_writes=None)
        assert f.collaborator_permission("u") == "admin"
