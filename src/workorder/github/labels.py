"""Labels on GitHub: the repository's labels and the labels of an issue or pull request
(docs.github.com/en/rest/issues/labels)."""

from __future__ import annotations

from github import GithubException

from ..contracts.forge import LabelSpec
from .client import GitHubClient


class GitHubLabels(GitHubClient):
    """The label methods of :class:`workorder.contracts.forge.Forge` on GitHub; each raises ForgeError."""

    def list_repo_labels(self) -> list[str]:
        """Names of all labels of the repository (``GET /repos/{owner}/{repo}/labels``, every page)."""
        return self._call("listing labels", lambda: [label.name for label in self._repo.get_labels()])

    def create_label(self, spec: LabelSpec) -> None:
        """Create a repository label; 422 (it exists) is no error (``POST /repos/{owner}/{repo}/labels``;
        the description is cut to GitHub's 100 characters)."""
        def create() -> None:
            try:
                self._repo.create_label(spec.name, spec.color, spec.description[:100])
            except GithubException as exc:
                if exc.status != 422:  # 422: it exists already (a retried create that was applied, too)
                    raise

        self._call(f"creating label {spec.name}", create)

    def add_label(self, number: int, name: str) -> None:
        """Add label ``name`` to issue or pull request ``number``
        (``POST /repos/{owner}/{repo}/issues/{number}/labels``)."""
        self._call(f"adding label {name}", lambda: self._repo.get_issue(number).add_to_labels(name))

    def remove_label(self, number: int, name: str) -> None:
        """Remove label ``name``; 404 (it is not there) is no error
        (``DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}``)."""
        def remove() -> None:
            try:
                self._repo.get_issue(number).remove_from_labels(name)
            except GithubException as exc:
                if exc.status != 404:  # 404: the label is not on the issue (any more)
                    raise

        self._call(f"removing label {name}", remove)
