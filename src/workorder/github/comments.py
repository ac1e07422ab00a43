"""Issue comments on GitHub: list, post, edit and react to them
(docs.github.com/en/rest/issues/comments, docs.github.com/en/rest/reactions/reactions)."""

from __future__ import annotations

from ..contracts.forge import Comment
from .client import GitHubClient


class GitHubComments(GitHubClient):
    """The comment methods of :class:`workorder.contracts.forge.Forge` on GitHub; each raises ForgeError."""

    def list_comments(self, number: int) -> list[Comment]:
        """All comments of issue or pull request ``number``, oldest first
        (``GET /repos/{owner}/{repo}/issues/{number}/comments``, every page)."""
        def fetch() -> list[Comment]:  # conditional reads: an unchanged list again is a free 304
            return [
                Comment(id=int(c["id"]), author=(c.get("user") or {}).get("login", ""), body=c.get("body") or "")
                for c in self._pages(f"{self._repo.url}/issues/{number}/comments", {})
            ]

        return self._call(f"listing comments of #{number}", fetch)

    def create_comment(self, number: int, body: str) -> Comment:
        """Post a comment; returns it. After a 5xx the comments are read first, and the latest one with
        the same body is returned instead of posting twice
        (``POST /repos/{owner}/{repo}/issues/{number}/comments``)."""
        def create() -> Comment:
            c = self._repo.get_issue(number).create_comment(body)
            return Comment(id=c.id, author=c.user.login if c.user else "", body=body)

        def lookup() -> Comment | None:
            same = [c for c in self.list_comments(number) if c.body.strip() == body.strip()]
            return same[-1] if same else None

        return self._call(f"commenting on #{number}", create, lookup)

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        """Replace a comment's body (``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}``)."""
        self._call(f"editing comment {comment_id}", lambda: self._repo.get_issue(number).get_comment(comment_id).edit(body))

    def add_reaction(self, number: int, comment_id: int, content: str) -> None:
        """Add reaction ``content`` (e.g. ``eyes``) to an issue comment
        (``POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions``)."""
        self._call(f"reacting to comment {comment_id}",
                   lambda: self._repo.get_issue(number).get_comment(comment_id).create_reaction(content))
