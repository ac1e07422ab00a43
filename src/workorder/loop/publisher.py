"""The publisher: every GitHub write of the loop, as a reconcile of what GitHub holds to the recorded state.

The loop decides (it computes the :class:`workorder.loop.state.TrackingState`); the publisher makes the
forge match it. Each object the action writes is found again before it is written:

* state labels: exactly one; extras are removed (:meth:`workorder.loop.tracking.Tracker.set_state`);
* the tracking comment: by its hidden marker, edited only when its text differs;
* the pull request: by its head branch, before it is created again by a resumed run (else GitHub's
  "already exists" answer finds it);
* the review: one per (cycle, head), by the hidden marker :data:`REVIEW_MARKER` in its body;
* the commit status: one per (head, state), by the combined status of the head.

A verdict recorded in this run (``resumed`` False) needs no look-up, since no earlier run can have
posted it; a create that GitHub answered with 5xx is looked up by the forge itself before it is
repeated. So a re-run of the same event after a kill posts nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..contracts.config import RepoConfig
from ..contracts.packet import Verdict
from ..contracts.forge import Forge, ForgeError, Issue, ReviewComment, permission_at_least
from ..gates.risk import human_approval_required
from .state import Publication, State, TrackingState
from .verdict_status import describe, is_current, write_status
from ..templates import Templates
from .tracking import Tracker
from ..contracts.workorder import WorkOrder

MAX_INLINE_COMMENTS = 30
REVIEW_MARKER = "<!-- workorder:review {issue} cycle={cycle} head={head} -->"


@dataclass(frozen=True)
class Published:
    """What :meth:`Publisher.verdict` did: the PR number and whether it was created, the review event
    (None when the review existed already), the inline comment count, the status state and whether
    it was set (False when GitHub held it already)."""

    pr_number: int
    pr_created: bool
    review_event: str | None
    inline_comments: int
    status: str
    status_set: bool


class Publisher:
    """Makes GitHub match one issue's recorded state.

    ``forge`` writes labels, comments, the PR and statuses; ``review_forge`` (a second identity, may be
    None) posts reviews; ``tracker`` holds the issue's label and tracking-comment view; ``run_url``
    links this workflow run. Every method raises :class:`workorder.contracts.forge.ForgeError` when the forge
    refuses or keeps failing.
    """

    def __init__(self, forge: Forge, tracker: Tracker, templates: Templates, config: RepoConfig, issue: Issue,
                 order: WorkOrder, default_branch: str = "main", review_forge: Forge | None = None,
                 run_url: str | None = None):
        self.forge = forge
        self.tracker = tracker
        self.templates = templates
        self.config = config
        self.issue = issue
        self.order = order
        self.default_branch = default_branch
        self.review_forge = review_forge
        self.run_url = run_url

    # -- labels and the tracking comment ----------------------------------------------------
    def set_state(self, s: TrackingState, new: State, *, check: bool = True) -> None:
        """Move ``s`` to ``new``: its label on, every other state label off. Staying in the same
        state is allowed (a resumed run repairs the labels); other moves are checked against the table."""
        self.tracker.set_state(s, new, check=check and s.state is not new)

    def tracking(self, s: TrackingState) -> None:
        """Write the tracking comment (hidden state included) for ``s``; unchanged text costs nothing."""
        s.run_url = self.run_url
        self.tracker.publish(s)

    # -- the verdict -------------------------------------------------------------------------
    def verdict(self, s: TrackingState, pub: Publication, *, resumed: bool) -> Published:
        """Post the verdict ``pub`` of ``s``: the PR (found by head branch, else opened as a draft) with
        its body, one review per (cycle, head), one commit status per (head, state). ``resumed``: the
        verdict was recorded by an earlier run, so review and status are looked up before posting.
        Sets ``s.pr_number``."""
        pr_number, created = self._pull_request(s, pub, looked_up=resumed)
        event, inline = self._review(s, pub, pr_number, looked_up=resumed)
        state, status_set = self._status(s, pub, looked_up=resumed)
        return Published(pr_number, created, event, inline, state, status_set)

    def _pull_request(self, s: TrackingState, pub: Publication, looked_up: bool) -> tuple[int, bool]:
        body = self.templates.render("pull_request.md.j2", issue=self.issue, order=self.order, packet=pub.packet,
                                     s=s, verify_runs=pub.verify_runs)
        if s.pr_number is not None:
            self.forge.update_pull_request(s.pr_number, body)
            return s.pr_number, False
        assert s.branch is not None
        # a verdict of this run is opened at once (an existing PR answers the create with itself, its body
        # updated); a resumed one may have opened it already, so it is looked up first
        existing = self.forge.find_pull_request(s.branch) if looked_up else None
        if existing is not None:
            self.forge.update_pull_request(existing.number, body)
            s.pr_number = existing.number
            return existing.number, False
        title = self.templates.render_line("pull_request_title.txt.j2", issue=self.issue)
        pr = self.forge.create_pull_request(s.branch, self.default_branch, title, body, draft=True)
        s.pr_number = pr.number
        return pr.number, True

    def _review(self, s: TrackingState, pub: Publication, pr_number: int, looked_up: bool) -> tuple[str | None, int]:
        verdict = pub.verdict
        marker = REVIEW_MARKER.format(issue=s.issue, cycle=pub.cycle, head=pub.head_sha)
        reviewer = self.review_forge or self.forge
        if looked_up and any(r.body.rstrip("\n").endswith(marker) and self._ours(r.author)
                             for r in reviewer.list_reviews(pr_number)):
            return None, 0
        at = {(path, line) for path, line in pub.inline}
        inline = [
            ReviewComment(path=f.path, line=f.line, body=self.templates.render("review_comment.md.j2", f=f))
            for f in verdict.findings if f.path and f.line and (f.path, f.line) in at
        ][:MAX_INLINE_COMMENTS]
        body = self.templates.render("review.md.j2", verdict=verdict, s=s, order=self.order, run_url=self.run_url)
        body = body.rstrip("\n") + "\n" + marker + "\n"
        event = "REQUEST_CHANGES" if verdict.verdict == "FAIL" and self.review_forge is not None else "COMMENT"
        try:
            reviewer.create_review(pr_number, pub.head_sha, event, body, inline)
        except ForgeError as exc:
            if exc.status != 422 or event == "COMMENT":
                raise
            event = "COMMENT"  # GitHub refuses REQUEST_CHANGES on the reviewer's own PR
            reviewer.create_review(pr_number, pub.head_sha, event, body, inline)
        return event, len(inline)

    def _ours(self, author: str) -> bool:
        """Whether a review by ``author`` can be one the action posted: the bot's own, or (with a
        separate review identity, whose login the action does not know) an account with write access.
        Anyone else's review carrying the marker never stands in for the action's."""
        if author == self.tracker.bot_login:
            return True
        try:
            return self.review_forge is not None and permission_at_least(self.forge.collaborator_permission(author), "write")
        except ForgeError:
            return False

    def status_of(self, s: TrackingState, verdict: Verdict, head: str) -> tuple[str, str]:
        """(state, description) of the commit status for ``verdict`` on ``head``: failure, success, or
        pending while a PASS waits for a person's approval of this head."""
        awaiting = verdict.verdict == "PASS" and human_approval_required(self.config, self.order) and s.approved_sha != head
        state = "failure" if verdict.verdict == "FAIL" else ("pending" if awaiting else "success")
        return state, describe(self.templates, s, verdict, awaiting)

    def _status(self, s: TrackingState, pub: Publication, looked_up: bool) -> tuple[str, bool]:
        state, description = self.status_of(s, pub.verdict, pub.head_sha)
        if looked_up and is_current(self.forge, pub.head_sha, state, description):
            return state, False
        write_status(self.forge, pub.head_sha, state, description, self.run_url)  # type: ignore[arg-type]
        return state, True
