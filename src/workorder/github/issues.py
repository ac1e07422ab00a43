"""Issues on GitHub: read, list, open, edit and pin them, their dependencies and milestones, and the
permission of a collaborator (docs.github.com/en/rest/issues/issues, .../issues/issue-dependencies,
.../issues/milestones, .../collaborators/collaborators, and GraphQL ``pinIssue``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from github.GithubException import UnknownObjectException

from ..contracts.forge import ForgeError, Issue
from .client import GitHubClient
from .records import issue_from_json


class GitHubIssues(GitHubClient):
    """The issue methods of :class:`workorder.contracts.forge.Forge` on GitHub; each raises ForgeError."""

    def get_issue(self, number: int) -> Issue:
        """Issue ``number`` as it is now (``GET /repos/{owner}/{repo}/issues/{number}``, conditional: a
        second read of an unchanged issue in the same run is a free 304)."""
        return self._call(f"reading issue #{number}",
                          lambda: issue_from_json(self._get_json(f"{self._repo.url}/issues/{number}")))

    def collaborator_permission(self, login: str) -> str:
        """The role name of ``login`` (admin, maintain, write, triage, read) or ``none`` when GitHub
        answers 404 (``GET /repos/{owner}/{repo}/collaborators/{username}/permission``)."""
        def fetch() -> str:
            try:
                data = self._get_json(f"{self._repo.url}/collaborators/{quote(login)}/permission")
                return str(data.get("role_name") or "none") if isinstance(data, dict) else "none"
            except UnknownObjectException:
                return "none"

        return self._call(f"the permission check of {login}", fetch)

    def list_issues(self, milestone: int | None = None, labels: tuple[str, ...] = (), state: str = "open") -> list[Issue]:
        """Issues (pull requests left out) in ``state``, filtered by milestone number and all of
        ``labels`` (``GET /repos/{owner}/{repo}/issues``, every page)."""
        params: dict[str, Any] = {"state": state}
        if milestone is not None:
            params["milestone"] = str(milestone)
        if labels:
            params["labels"] = ",".join(labels)
        raw = self._call("listing issues", lambda: self._pages(f"{self._repo.url}/issues", params))
        return [issue_from_json(i) for i in raw if "pull_request" not in i]

    def blocked_by(self, number: int) -> list[Issue]:
        """The issues ``number`` is blocked by ([] when there are none or GitHub has no dependencies,
        404) (``GET /repos/{owner}/{repo}/issues/{number}/dependencies/blocked_by``)."""
        def fetch() -> list[Issue]:
            try:
                raw = self._pages(f"{self._repo.url}/issues/{number}/dependencies/blocked_by", {})
            except UnknownObjectException:
                return []  # no dependencies feature here (e.g. older GitHub Enterprise Server)
            return [issue_from_json(i) for i in raw]

        return self._call(f"reading the dependencies of #{number}", fetch)

    def find_milestone(self, title_or_number: str) -> tuple[int, str] | None:
        """(number, title) of the milestone (open or closed) with that title or number, or None
        (``GET /repos/{owner}/{repo}/milestones?state=all``)."""
        raw = self._call("listing milestones", lambda: self._pages(f"{self._repo.url}/milestones", {"state": "all"}))
        for m in raw:
            if m.get("title") == title_or_number or str(m.get("number")) == title_or_number:
                return int(m["number"]), str(m.get("title", ""))
        return None

    def create_issue(self, title: str, body: str, labels: tuple[str, ...] = ()) -> Issue:
        """Open an issue; returns it with its number and URL (``POST /repos/{owner}/{repo}/issues``)."""
        issue = self._call("opening an issue", lambda: self._repo.create_issue(title=title, body=body, labels=list(labels)))
        return Issue(number=issue.number, title=title, body=body, labels=tuple(labels), author="",
                     html_url=issue.html_url)

    def edit_issue_body(self, number: int, body: str) -> None:
        """Replace an issue's body (``PATCH /repos/{owner}/{repo}/issues/{number}``)."""
        self._call(f"editing issue #{number}", lambda: self._repo.get_issue(number).edit(body=body))

    def pin_issue(self, number: int) -> None:
        """Pin an issue, best effort: a failure is ignored (GraphQL mutation ``pinIssue``,
        docs.github.com/en/graphql/reference/mutations#pinissue)."""
        def pin() -> None:
            node = self._repo.get_issue(number).node_id
            self._gh.requester.graphql_query(
                "mutation($id: ID!) { pinIssue(input: {issueId: $id}) { issue { number } } }", {"id": node})

        try:
            self._call(f"pinning issue #{number}", pin)
        except ForgeError:
            pass  # pinning is a convenience: a repository may have three pinned issues already
