"""Labels on GitHub: the repository's labels and the labels of an issue or pull request
(docs.github.com/en/rest/issues/labels)."""

from __future__ import annotations

from urllib.parse import quote

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

    def write_labels(self, number: int, names: tuple[str, ...], *, replace: bool,
                     styles: tuple[LabelSpec, ...] = ()) -> list[LabelSpec]:
        """Make ``names`` the whole label set of issue ``number`` in one request (``replace``:
        ``PUT /repos/{owner}/{repo}/issues/{number}/labels``) or add them to it (``POST`` to the same path);
        returns the labels the issue has then. GitHub creates a label that does not exist yet (grey, no
        description); one of ``styles`` created so gets its colour and description
        (``PATCH /repos/{owner}/{repo}/labels/{name}``, once per repository). Raises ForgeError."""
        verb = "PUT" if replace else "POST"
        url = f"{self._repo.url}/issues/{number}/labels"

        def write() -> list[dict]:
            _headers, data = self._gh.requester.requestJsonAndCheck(verb, url, input={"labels": list(names)})
            return [d for d in data or [] if isinstance(d, dict)]

        what = f"setting the labels of #{number}" if replace else f"adding label {', '.join(names)}"
        labels = self._call(what, write)
        found = {d.get("name"): d for d in labels}
        missing = [spec for spec in styles if spec.name in names and spec.name not in found]
        if missing:  # GitHub did not create them on the way (a server that does not): create, write again
            for spec in missing:
                self.create_label(spec)
            labels = self._call(what, write)
            found = {d.get("name"): d for d in labels}
        for spec in styles:
            if spec.name in found and not found[spec.name].get("description") and spec.description:
                self.update_label(spec)
        return [LabelSpec(name=str(d.get("name", "")), color=str(d.get("color", "")),
                          description=str(d.get("description") or "")) for d in labels]

    def update_label(self, spec: LabelSpec) -> None:
        """Give an existing repository label ``spec``'s colour and description (the description cut to
        GitHub's 100 characters) (``PATCH /repos/{owner}/{repo}/labels/{name}``). Raises ForgeError."""
        url = f"{self._repo.url}/labels/{quote(spec.name, safe='')}"
        self._call(f"styling label {spec.name}", lambda: self._gh.requester.requestJsonAndCheck(
            "PATCH", url, input={"color": spec.color, "description": spec.description[:100]}))
