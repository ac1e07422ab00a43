"""The demo's posts as files: every body the action would post on GitHub, one markdown file each.

:class:`RecordingForge` is the demo's local forge; each text the action writes through it (a comment or
its edit, a pull request body, a review and its inline comments) is also written to ``<root>/posts/`` as
``NN-<where>-<what>.md``, numbered in the order posted, so a newcomer reads exactly what the maintainer
would read on GitHub:

* ``NN-issue-1-tracking-<state>.md``: the tracking comment as created or edited (``<state>`` from its
  hidden state block);
* ``NN-issue-1-comment.md``, ``NN-pr-2-comment.md``: any other comment (e.g. the reply to ``/wo approve``);
* ``NN-pr-2-body.md``: the pull request body when opened or changed;
* ``NN-pr-2-review-cycle-1.md``: a review's body (its cycle from the review's hidden marker), and
  ``NN-pr-2-review-cycle-1-inline.md`` its inline comments (templates/demo_review_inline.md.j2).

A body written again unchanged (the pull request body is sent on every cycle) is not written twice.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..contracts.forge import Comment, Issue, PullRequest, ReviewComment, ReviewEvent
from ..local.forge import LocalForge
from ..loop.state import TRACKING_MARKER, decode_state
from ..templates import Templates

POSTS_DIR = "posts"
_REVIEW_CYCLE = re.compile(r"<!-- workorder:review \d+ cycle=(\d+) ")


class RecordingForge(LocalForge):
    """A :class:`LocalForge` (in ``directory``) that also writes each posted body to ``posts`` (made if
    missing); ``templates`` renders the inline comments' file. ``written`` lists the files in order."""

    def __init__(self, directory: Path, posts: Path, templates: Templates, **kwargs):
        super().__init__(directory, **kwargs)
        self.posts = posts
        self.templates = templates
        self.written: list[Path] = []
        self._last: dict[str, str] = {}
        posts.mkdir(parents=True, exist_ok=True)

    def _where(self, number: int) -> str:
        return f"pr-{number}" if str(number) in self._load()["pulls"] else f"issue-{number}"

    def _record(self, key: str, name: str, body: str) -> None:
        """Write ``body`` as the next numbered file ``NN-<name>.md`` unless it is the same text last
        written for ``key`` (the object it belongs to)."""
        if self._last.get(key) == body:
            return
        self._last[key] = body
        path = self.posts / f"{len(self.written) + 1:02d}-{name}.md"
        path.write_text(body, encoding="utf-8")
        self.written.append(path)

    def _comment(self, number: int, comment_id: int, body: str) -> None:
        where = self._where(number)
        if body.startswith(TRACKING_MARKER):
            state = decode_state(body)
            name = f"{where}-tracking-{state.state.value if state else 'comment'}"
        else:
            name = f"{where}-comment"
        self._record(f"comment-{comment_id}", name, body)

    def create_comment(self, number: int, body: str) -> Comment:
        """Post a comment (:meth:`LocalForge.create_comment`) and record it; returns it."""
        comment = super().create_comment(number, body)
        self._comment(number, comment.id, body)
        return comment

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        """Edit a comment (:meth:`LocalForge.edit_comment`) and record its new body."""
        super().edit_comment(number, comment_id, body)
        self._comment(number, comment_id, body)

    def create_issue(self, title: str, body: str, labels: tuple[str, ...] = ()) -> Issue:
        """Open an issue as the bot (:meth:`LocalForge.create_issue`) and record its body; returns it."""
        issue = super().create_issue(title, body, labels)
        self._record(f"issue-{issue.number}", f"issue-{issue.number}-opened", body)
        return issue

    def edit_issue_body(self, number: int, body: str) -> None:
        """Replace an issue's body (:meth:`LocalForge.edit_issue_body`) and record it."""
        super().edit_issue_body(number, body)
        self._record(f"issue-{number}", f"issue-{number}-body", body)

    def create_pull_request(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        """Open a pull request (:meth:`LocalForge.create_pull_request`) and record its body; returns it."""
        pr = super().create_pull_request(head, base, title, body, draft)
        self._record(f"pr-{pr.number}", f"pr-{pr.number}-body", body)
        return pr

    def update_pull_request(self, number: int, body: str) -> None:
        """Replace a pull request's body (:meth:`LocalForge.update_pull_request`); recorded when it changed."""
        super().update_pull_request(number, body)
        self._record(f"pr-{number}", f"pr-{number}-body", body)

    def create_review(self, number: int, commit_sha: str, event: ReviewEvent, body: str,
                      comments: list[ReviewComment]) -> None:
        """Post a review (:meth:`LocalForge.create_review`); record its body, and its inline comments
        in a second file when it has any."""
        super().create_review(number, commit_sha, event, body, comments)
        cycle = _REVIEW_CYCLE.search(body)
        name = f"pr-{number}-review" + (f"-cycle-{cycle.group(1)}" if cycle else "")
        self._record(f"review-{len(self.written)}", name, body)
        if comments:
            inline = self.templates.render("demo_review_inline.md.j2", comments=comments, event=event)
            self._record(f"review-{len(self.written)}", name + "-inline", inline)
