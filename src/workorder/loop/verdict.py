"""The review step of a work-order loop cycle: the PO review, then the verdict pushed, recorded, published.

After the PO review (:class:`workorder.loop.po_review.PoReview`) of a non-empty diff, the branch is pushed,
the verdict goes into the hidden state (the durable checkpoint, written before anything of it is
posted), then :class:`workorder.loop.publisher.Publisher` posts it: the PR, the review, the commit status.
A run that resumes at a recorded but unposted verdict only posts it. The loop (:mod:`workorder.loop.engine`)
decides when; every write is an audit event of the run's journal.
"""

from __future__ import annotations

from collections.abc import Callable

from ..contracts.packet import DoDPacket, Verdict
from ..gates import GATES
from ..shell.gitops import Git
from .archive import archive_path, commit_archive
from .phases import PhaseContext
from .po_review import PoReview
from .publisher import Publisher
from .state import STATUS_CONTEXT
from .state import Publication, State, TrackingState


class VerdictStep:
    """The review step of one loop run: ``phases`` holds its shared facts and event writer, ``publisher``
    makes its writes, ``push(s, wt)`` pushes the work tree's branch (when the run pushes at all) and
    sets ``s.head_sha``. Every method raises GitError or ForgeError when git or the forge fails."""

    def __init__(self, phases: PhaseContext, publisher: Publisher, push: Callable[[TrackingState, Git], None]):
        self.phases = phases
        self.publisher = publisher
        self.push = push

    def review(self, s: TrackingState, wt: Git, packet: DoDPacket, gates=GATES, push: bool = True) -> Verdict:
        """Move ``s`` to review (its label) and judge ``wt``'s HEAD, the work ``packet`` describes, with
        ``gates``. When the diff is not empty: push the branch (if ``push``), record the verdict in
        ``s.publication`` (the tracking comment's one edit of this state) and publish it. Returns the verdict."""
        s.phase = "review"
        self.publisher.set_state(s, State.REVIEW)  # the label says so; the tracking comment with the verdict
        review = PoReview(self.phases)
        reviewed = review.run(s, wt, packet, gates)
        if not reviewed.diff.is_empty:
            if push and reviewed.verdict.verdict == "PASS":
                self._archive(s, wt, reviewed.verdict)
            if push:
                self.push(s, wt)
            s.publication = review.record(s, packet, reviewed)  # durable before anything of it is posted
            self.publisher.tracking(s)
            self.publish(s, s.publication, resumed=False)
        return reviewed.verdict

    def _archive(self, s: TrackingState, wt: Git, verdict: Verdict) -> None:
        """Commit the work order's archive after the gates passed (:mod:`workorder.loop.archive`); the commit
        status then goes to that commit."""
        ctx = self.phases
        sha = commit_archive(wt, ctx.deps.config, ctx.deps.templates, ctx.issue, ctx.order, verdict, s.cycle)
        if sha:
            s.head_sha = sha
            s.archive_path = archive_path(ctx.deps.config, ctx.number, ctx.issue.title)
            ctx.event(s, "archive", sha=sha, path=s.archive_path)

    def publish(self, s: TrackingState, pub: Publication | None, *, resumed: bool) -> Verdict:
        """Post the recorded verdict ``pub`` of ``s`` (PR, review, status) through the publisher; returns
        its verdict. ``resumed``: it was recorded by an earlier run, so ``s`` moves back to review at
        its head first and the publisher looks up what was posted before posting."""
        assert pub is not None
        event = self.phases.event
        if resumed:
            s.phase, s.head_sha = "review", pub.head_sha
            self.publisher.set_state(s, State.REVIEW)
            event(s, "loop.resume_verdict", head=pub.head_sha, verdict=pub.verdict.verdict)
        done = self.publisher.verdict(s, pub, resumed=resumed)
        event(s, "pull_request", number=done.pr_number, created=done.pr_created)
        if done.review_event:
            event(s, "review", review_event=done.review_event, inline_comments=done.inline_comments)
        if done.status_set:
            event(s, "commit_status", state=done.status, context=STATUS_CONTEXT)
        return pub.verdict
