"""Pull requests on GitHub: read, find by head branch, open (as a draft where GitHub allows it) and
update them (docs.github.com/en/rest/pulls/pulls)."""

from __future__ import annotations

from github import GithubException

from ..contracts.forge import PullRequest
from .call import github_message
from .client import GitHubClient
from .records import pull_request_from


class GitHubPulls(GitHubClient):
    """The pull request methods of :class:`workorder.contracts.forge.Forge` on GitHub; each raises ForgeError."""

    def get_pull_request(self, number: int) -> PullRequest:
        """Pull request ``number`` with its head SHA (``GET /repos/{owner}/{repo}/pulls/{number}``)."""
        return self._call(f"reading pull request #{number}", lambda: pull_request_from(self._repo.get_pull(number)))

    def _find_pull(self, head: str) -> PullRequest | None:
        """The first pull request (any state) from ``owner:head``, or None (no retries of its own)."""
        owner = self.repository.split("/", 1)[0]
        for pr in self._repo.get_pulls(state="all", head=f"{owner}:{head}"):
            return pull_request_from(pr)
        return None

    def find_pull_request(self, head: str) -> PullRequest | None:
        """The pull request (any state) whose head is branch ``head`` of this repository, or None
        (``GET /repos/{owner}/{repo}/pulls?state=all&head=owner:head``)."""
        return self._call(f"looking up the pull request of {head}", lambda: self._find_pull(head))

    def create_pull_request(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        """Open a pull request from ``head`` into ``base``; returns it (``POST /repos/{owner}/{repo}/pulls``).

        On 422 an existing pull request of ``head`` is returned, its body replaced by ``body``; when drafts
        are refused (plans without them) a ready one is opened. After a 5xx it is looked up before it is
        created again.
        """
        def create() -> PullRequest:
            try:
                return pull_request_from(self._repo.create_pull(base=base, head=head, title=title, body=body, draft=draft))
            except GithubException as exc:
                if exc.status != 422:
                    raise
                existing = self._find_pull(head)  # 422: one exists already (e.g. created by a killed run)
                if existing:
                    self._repo.get_pull(existing.number).edit(body=body)  # it shows this verdict, as a new one would
                    return existing
                if draft and "draft" in (github_message(exc) + str(exc.data)).lower():
                    return pull_request_from(self._repo.create_pull(base=base, head=head, title=title, body=body, draft=False))
                raise

        return self._call(f"opening a pull request from {head}", create, lambda: self._find_pull(head))

    def update_pull_request(self, number: int, body: str) -> None:
        """Replace a pull request's body (``PATCH /repos/{owner}/{repo}/pulls/{number}``)."""
        self._call(f"updating pull request #{number}", lambda: self._repo.get_pull(number).edit(body=body))
