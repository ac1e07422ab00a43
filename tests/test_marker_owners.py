"""Hidden markers the publisher finds its objects by count only on objects the bot wrote (issue 21):
a review carrying the action's review marker, posted by someone else, never stands in for the
action's own review (which would otherwise never be posted on a resumed run)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import workorder.loop.publisher as publisher_module
from conftest import WORK_ORDER
from workorder.contracts.config import RepoConfig
from workorder.contracts import DoDPacket, Verdict
from workorder.contracts.forge import Issue, Review
from workorder.loop.publisher import REVIEW_MARKER, Publisher
from workorder.loop.state import Publication, State, TrackingState
from workorder.templates import Templates
from workorder.contracts.workorder import parse_work_order_body

pytestmark = pytest.mark.hostile

SHA = "a" * 40
BOT = "github-actions[bot]"


class Forge:
    """The few forge calls a review needs; ``reviews`` are already on the PR."""

    def __init__(self, reviews, permissions):
        self.reviews, self.permissions, self.created = reviews, permissions, []

    def list_reviews(self, number):
        return self.reviews

    def collaborator_permission(self, login):
        return self.permissions.get(login, "none")

    def create_review(self, number, sha, event, body, inline):
        self.created.append(body)


def review(author: str, review_forge: bool = False, permissions: dict | None = None) -> Forge:
    marker = REVIEW_MARKER.format(issue=1, cycle=1, head=SHA)
    forge = Forge([Review(id=1, author=author, body=f"looks fine\n{marker}\n", commit_id=SHA)], permissions or {})
    pub = Publication(cycle=1, head_sha=SHA, verdict=Verdict(verdict="PASS"),
                      packet=DoDPacket(status="done", summary="ok", files_changed=[]))
    s = TrackingState(issue=1, state=State.REVIEW, cycle=1, branch="wo/1-x", pr_number=5, publication=pub)
    publisher = Publisher(forge, SimpleNamespace(bot_login=BOT), Templates(), RepoConfig(),  # type: ignore[arg-type]
                          Issue(number=1, title="t", body=WORK_ORDER, labels=(), author="someone"),
                          parse_work_order_body(WORK_ORDER), review_forge=forge if review_forge else None)
    publisher._review(s, pub, 5, looked_up=True)
    return forge


def test_the_bots_own_review_is_found():
    assert review(BOT).created == []


@pytest.mark.parametrize("permissions", [{}, {"mallory": "read"}, {"mallory": "triage"}])
def test_a_marker_in_someone_elses_review_does_not_stop_the_action_posting(permissions):
    assert len(review("mallory", permissions=permissions).created) == 1
    assert len(review("mallory", review_forge=True, permissions=permissions).created) == 1


def test_with_a_review_identity_a_writer_may_be_that_identity():
    assert review("po-bot", review_forge=True, permissions={"po-bot": "write"}).created == []


def test_control_without_the_owner_check_anyones_marker_counts(monkeypatch):
    monkeypatch.setattr(publisher_module.Publisher, "_ours", lambda self, author: True)
    assert review("mallory").created == []
