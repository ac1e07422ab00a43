"""Pull requests, their reviews and commit statuses in the local forge's JSON file (``pulls`` and
``statuses`` of the layout in :mod:`workorder.local.store`)."""

from __future__ import annotations

from ..contracts.forge import ForgeError, PullRequest, ReviewComment, ReviewEvent, StatusState
from .store import LocalStore


class LocalPulls(LocalStore):
    """The pull request, review and commit status methods of :class:`workorder.contracts.forge.Forge`, kept in
    ``forge.json``. Raises ForgeError (404) for a pull request that is not there where noted."""

    def get_pull_request(self, number: int) -> PullRequest:
        """Pull request ``number`` with the head SHA its last review was posted at; raises ForgeError (404)."""
        pr = self._load()["pulls"].get(str(number))
        if pr is None:
            raise ForgeError(f"pull request #{number} not found", status=404)
        return PullRequest(number=number, head=pr["head"], base=pr["base"], draft=pr["draft"], head_sha=pr.get("head_sha"))

    def list_review_comments(self, number: int, review_id: int) -> list[ReviewComment]:
        """The inline comments of review ``review_id`` (1-based position; [] when there is no such review)."""
        reviews = self._load()["pulls"][str(number)]["reviews"]
        review = reviews[review_id - 1] if 0 < review_id <= len(reviews) else {"comments": []}
        return [ReviewComment(path=c["path"], line=c["line"], body=c["body"]) for c in review["comments"]]

    def find_pull_request(self, head: str) -> PullRequest | None:
        """The pull request whose head is branch ``head``, or None."""
        for number, pr in self._load()["pulls"].items():
            if pr["head"] == head:
                return PullRequest(number=int(number), head=pr["head"], base=pr["base"], draft=pr["draft"],
                                   state=pr.get("state", "open"), merged=bool(pr.get("merged", False)))
        return None

    def create_pull_request(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        """Open a pull request numbered like the issues; returns it. One from ``head`` exists already: it is
        returned with its body replaced (as GitHub's "already exists" answer makes the GitHub forge do)."""
        existing = self.find_pull_request(head)
        if existing is not None:
            self.update_pull_request(existing.number, body)
            return existing
        data = self._load()
        number = data["next_number"]
        data["next_number"] += 1
        data["pulls"][str(number)] = {
            "head": head, "base": base, "title": title, "body": body, "draft": draft, "labels": [],
            "comments": [], "reviews": [], "author": self.bot_login,
        }
        self._save(data)
        return PullRequest(number=number, head=head, base=base, draft=draft)

    def update_pull_request(self, number: int, body: str) -> None:
        """Replace a pull request's body."""
        data = self._load()
        data["pulls"][str(number)]["body"] = body
        self._save(data)

    def create_review(
        self, number: int, commit_sha: str, event: ReviewEvent, body: str, comments: list[ReviewComment]
    ) -> None:
        """Post a review at ``commit_sha`` (which becomes the pull request's head SHA) with inline comments."""
        data = self._load()
        data["pulls"][str(number)]["head_sha"] = commit_sha  # the loop reviews the head it just pushed
        data["pulls"][str(number)]["reviews"].append(
            {
                "commit_id": commit_sha, "event": event, "body": body, "author": self.bot_login,
                "comments": [{"path": c.path, "line": c.line, "body": c.body} for c in comments],
            }
        )
        self._save(data)

    def set_commit_status(self, sha: str, state: StatusState, context: str, description: str, target_url: str | None) -> None:
        """Append a commit status to those of ``sha``."""
        data = self._load()
        data["statuses"].setdefault(sha, []).append(
            {"state": state, "context": context, "description": description, "target_url": target_url}
        )
        self._save(data)
