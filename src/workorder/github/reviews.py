"""Pull request reviews on GitHub: list them, read one review's inline comments, post one
(docs.github.com/en/rest/pulls/reviews)."""

from __future__ import annotations

from ..contracts.forge import Review, ReviewComment, ReviewEvent
from .client import GitHubClient


class GitHubReviews(GitHubClient):
    """The review methods of :class:`workorder.contracts.forge.Forge` on GitHub; each raises ForgeError."""

    def list_reviews(self, number: int) -> list[Review]:
        """Every review of pull request ``number``, oldest first
        (``GET /repos/{owner}/{repo}/pulls/{number}/reviews``, every page)."""
        raw = self._call(f"listing the reviews of #{number}", lambda: self._pages(f"{self._repo.url}/pulls/{number}/reviews", {}))
        return [Review(id=int(r["id"]), author=(r.get("user") or {}).get("login", ""), body=r.get("body") or "",
                       commit_id=r.get("commit_id") or "", state=r.get("state") or "") for r in raw]

    def list_review_comments(self, number: int, review_id: int) -> list[ReviewComment]:
        """The inline comments of review ``review_id`` (line 0 when GitHub gives none)
        (``GET /repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}/comments``)."""
        def fetch() -> list[ReviewComment]:
            return [
                ReviewComment(path=c.path, line=c.line or c.original_line or 0, body=c.body or "")
                for c in self._repo.get_pull(number).get_single_review_comments(review_id)
            ]

        return self._call(f"reading the comments of review {review_id}", fetch)

    def create_review(
        self, number: int, commit_sha: str, event: ReviewEvent, body: str, comments: list[ReviewComment]
    ) -> None:
        """Post a review at ``commit_sha`` with inline comments on the new side of the diff
        (``POST /repos/{owner}/{repo}/pulls/{number}/reviews``); after a 5xx a review with the same
        body at the same commit counts as posted."""
        pr = self._repo.get_pull(number)
        commit = self._repo.get_commit(commit_sha)
        payload = [{"path": c.path, "line": c.line, "side": "RIGHT", "body": c.body} for c in comments]

        def lookup() -> bool | None:
            same = [r for r in self.list_reviews(number) if r.body.strip() == body.strip() and r.commit_id == commit_sha]
            return True if same else None

        self._call(f"posting a review on #{number}",
                   lambda: pr.create_review(commit=commit, body=body, event=event, comments=payload), lookup)
