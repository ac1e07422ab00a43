"""Branches on GitHub: list those under a prefix and delete one (docs.github.com/en/rest/git/refs)."""

from __future__ import annotations

from urllib.parse import quote

from .client import GitHubClient


class GitHubBranches(GitHubClient):
    """The branch methods of :class:`workorder.contracts.forge.Forge` on GitHub; each raises ForgeError."""

    def list_branches(self, prefix: str) -> list[str]:
        """Branch names starting with ``prefix`` (``GET /repos/{owner}/{repo}/git/matching-refs/heads/{prefix}``)."""
        url = f"{self._repo.url}/git/matching-refs/heads/{quote(prefix)}"
        refs = self._call(f"listing the branches {prefix}*", lambda: self._pages(url, {}))
        return sorted(str(r.get("ref", "")).removeprefix("refs/heads/") for r in refs if isinstance(r, dict))

    def delete_branch(self, name: str) -> None:
        """Delete branch ``name`` (``DELETE /repos/{owner}/{repo}/git/refs/heads/{name}``)."""
        url = f"{self._repo.url}/git/refs/heads/{quote(name)}"
        self._call(f"deleting branch {name}", lambda: self._gh.requester.requestJsonAndCheck("DELETE", url))
