"""The forge interface over one JSON file, for the CLI loop and the offline demo.

:class:`LocalForge` keeps issues, labels and comments itself; pull requests, reviews and commit
statuses are in :mod:`workorder.local.pulls`, the file and its layout in :mod:`workorder.local.store`
(``<dir>/forge.json``). Issues and pull requests share one numbering, as on GitHub.
"""

from __future__ import annotations

from pathlib import Path

from ..contracts.forge import Comment, ForgeError, Issue, LabelSpec
from ..shell.gitops import Git
from .pulls import LocalPulls


class LocalForge(LocalPulls):
    """A :class:`workorder.contracts.forge.Forge` kept in ``<directory>/forge.json``.

    ``bot_login`` is the author of what it posts; ``permissions`` maps logins to collaborator
    permissions (anyone else has none). Methods raise :class:`ForgeError` (404) for an issue or
    comment that is not there.
    """

    def __init__(self, directory: Path, bot_login: str = "workorder[bot]", permissions: dict[str, str] | None = None,
                 git: Git | None = None):
        self.git = git  # the local repository whose branches list_branches and delete_branch see (None: none)
        self.path = directory / "forge.json"
        self.bot_login = bot_login
        self.permissions = dict(permissions or {})
        directory.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self._save({"labels": {}, "issues": {}, "pulls": {}, "statuses": {}, "next_id": 1, "next_number": 1})

    # -- for the demo, local runs and tests ---------------------------------------------------
    def open_issue(self, title: str, body: str, labels: list[str], author: str, number: int | None = None) -> Issue:
        """Create an issue (for the demo, local runs and tests), numbered ``number`` or the next free
        number; returns it."""
        data = self._load()
        if number is None:
            number = data["next_number"]
        data["next_number"] = max(data["next_number"], number + 1)
        data["issues"][str(number)] = {
            "title": title, "body": body, "labels": list(labels), "author": author, "state": "open", "comments": [],
        }
        self._save(data)
        return self.get_issue(number)

    def update_issue(self, number: int, title: str, body: str) -> None:
        """Replace an issue's title and body (local runs re-read the issue files each time)."""
        data = self._load()
        issue = self._issue(data, number)
        issue.update(title=title, body=body)
        self._save(data)

    def has_issue(self, number: int) -> bool:
        """True when issue ``number`` exists."""
        return str(number) in self._load()["issues"]

    def add_comment_as(self, number: int, author: str, body: str) -> Comment:
        """Post a comment as ``author`` (a person, in the demo and tests); returns it."""
        data = self._load()
        comment = {"id": data["next_id"], "author": author, "body": body}
        data["next_id"] += 1
        self._issue(data, number)["comments"].append(comment)
        self._save(data)
        return Comment(id=comment["id"], author=author, body=body)

    # -- Forge: issues and permissions ---------------------------------------------------------
    def get_issue(self, number: int) -> Issue:
        """Issue (or pull request) ``number`` as it is now."""
        data = self._load()
        issue = self._issue(data, number)
        return Issue(
            number=number, title=issue["title"], body=issue["body"], labels=tuple(issue.get("labels", [])),
            author=issue.get("author", ""), state=issue.get("state", "open"),
        )

    def collaborator_permission(self, login: str) -> str:
        """The permission given to ``login`` at construction, else ``none``."""
        return self.permissions.get(login, "none")

    def list_issues(self, milestone: int | None = None, labels: tuple[str, ...] = (), state: str = "open") -> list[Issue]:
        """Issues in ``state`` carrying all of ``labels``, by number (``milestone`` is not kept locally)."""
        found = []
        for number in sorted(self._load()["issues"], key=int):
            issue = self.get_issue(int(number))
            if issue.state == state and all(label in issue.labels for label in labels):
                found.append(issue)
        return found

    def blocked_by(self, number: int) -> list[Issue]:
        """Always []: local issues carry their dependencies in the work order files."""
        return []  # local issues carry their dependencies in the work order files

    def find_milestone(self, title_or_number: str) -> tuple[int, str] | None:
        """Always None: there are no milestones locally."""
        return None

    def create_issue(self, title: str, body: str, labels: tuple[str, ...] = ()) -> Issue:
        """Open an issue authored by ``bot_login``; returns it."""
        return self.open_issue(title, body, list(labels), self.bot_login)

    def edit_issue_body(self, number: int, body: str) -> None:
        """Replace an issue's body."""
        data = self._load()
        self._issue(data, number)["body"] = body
        self._save(data)

    def pin_issue(self, number: int) -> None:
        """Nothing to do: there is no pinning locally."""

    # -- Forge: labels --------------------------------------------------------------------------
    def list_repo_labels(self) -> list[str]:
        """Names of all labels, sorted."""
        return sorted(self._load()["labels"])

    def create_label(self, spec: LabelSpec) -> None:
        """Define a label (an existing one is kept as it is)."""
        data = self._load()
        data["labels"].setdefault(spec.name, {"color": spec.color, "description": spec.description})
        self._save(data)

    def add_label(self, number: int, name: str) -> None:
        """Add label ``name`` to an issue or pull request (defining it, grey, if it is new)."""
        data = self._load()
        issue = self._issue(data, number)
        if name not in issue.setdefault("labels", []):
            issue["labels"].append(name)
        data["labels"].setdefault(name, {"color": "ededed", "description": ""})
        self._save(data)

    def write_labels(self, number: int, names: tuple[str, ...], *, replace: bool,
                     styles: tuple[LabelSpec, ...] = ()) -> list[LabelSpec]:
        """Make ``names`` the issue's labels (``replace``) or add them, defining new ones with their style
        from ``styles`` (else grey); returns the issue's labels then."""
        data = self._load()
        issue = self._issue(data, number)
        kept = [] if replace else [label for label in issue.get("labels", []) if label not in names]
        issue["labels"] = kept + list(dict.fromkeys(names))
        style = {spec.name: spec for spec in styles}
        for name in names:
            spec = style.get(name)
            data["labels"].setdefault(name, {"color": spec.color if spec else "ededed",
                                             "description": spec.description if spec else ""})
        self._save(data)
        return [LabelSpec(name=n, color=data["labels"][n]["color"], description=data["labels"][n]["description"])
                for n in issue["labels"] if n in data["labels"]]

    def remove_label(self, number: int, name: str) -> None:
        """Remove label ``name`` (no error if it is not there)."""
        data = self._load()
        issue = self._issue(data, number)
        issue["labels"] = [label for label in issue.get("labels", []) if label != name]
        self._save(data)

    # -- Forge: comments ------------------------------------------------------------------------
    def list_comments(self, number: int) -> list[Comment]:
        """All comments of an issue or pull request, oldest first."""
        data = self._load()
        return [Comment(id=c["id"], author=c["author"], body=c["body"]) for c in self._issue(data, number)["comments"]]

    def create_comment(self, number: int, body: str) -> Comment:
        """Post a comment as ``bot_login``; returns it."""
        return self.add_comment_as(number, self.bot_login, body)

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        """Replace a comment's body; raises ForgeError (404) when there is no such comment."""
        data = self._load()
        for comment in self._issue(data, number)["comments"]:
            if comment["id"] == comment_id:
                comment["body"] = body
                self._save(data)
                return
        raise ForgeError(f"comment {comment_id} not found", status=404)

    def add_reaction(self, number: int, comment_id: int, content: str) -> None:
        """Add reaction ``content`` to a comment; raises ForgeError (404) when there is no such comment."""
        data = self._load()
        for comment in self._issue(data, number)["comments"]:
            if comment["id"] == comment_id:
                comment.setdefault("reactions", []).append(content)
                self._save(data)
                return
        raise ForgeError(f"comment {comment_id} not found", status=404)

    def list_branches(self, prefix: str) -> list[str]:
        """The local repository's branches starting with ``prefix`` ([] without a repository)."""
        if self.git is None:
            return []
        out = self.git.run("for-each-ref", "--format=%(refname:short)", f"refs/heads/{prefix}")
        return sorted(line for line in out.splitlines() if line.startswith(prefix))

    def delete_branch(self, name: str) -> None:
        """Delete the local repository's branch ``name``; ForgeError (404) when there is none."""
        if self.git is None or not self.git.rev(f"refs/heads/{name}"):
            raise ForgeError(f"no branch {name}", status=404)
        self.git.run("update-ref", "-d", f"refs/heads/{name}")
