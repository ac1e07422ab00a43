"""The forge interface over one JSON file, for the CLI loop and the offline demo.

Layout of ``<dir>/forge.json``: ``labels`` {name: {color, description}}, ``issues`` {number: {title,
body, labels, author, state, comments: [{id, author, body}]}}, ``pulls`` {number: {head, base, title,
body, draft, reviews: [{commit_id, event, body, comments}]}}, ``statuses`` {sha: [{state, context,
description, target_url}]}, ``next_id``. Issues and pull requests share one numbering, as on GitHub.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .forge import Comment, ForgeError, Issue, LabelSpec, PullRequest, ReviewComment, ReviewEvent, StatusState


class LocalForge:
    """A :class:`workorder.forge.Forge` kept in ``<directory>/forge.json``.

    ``bot_login`` is the author of what it posts; ``permissions`` maps logins to collaborator
    permissions (anyone else has none).
    """

    def __init__(self, directory: Path, bot_login: str = "workorder[bot]", permissions: dict[str, str] | None = None):
        self.path = directory / "forge.json"
        self.bot_login = bot_login
        self.permissions = dict(permissions or {})
        directory.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self._save({"labels": {}, "issues": {}, "pulls": {}, "statuses": {}, "next_id": 1, "next_number": 1})

    # -- storage ---------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _save(self, data: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def _issue(self, data: dict[str, Any], number: int) -> dict[str, Any]:
        issue = data["issues"].get(str(number)) or data["pulls"].get(str(number))
        if issue is None:
            raise ForgeError(f"issue #{number} not found", status=404)
        return issue

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

    def read(self) -> dict[str, Any]:
        """The whole stored state (for the demo's report and tests)."""
        return self._load()

    # -- Forge -----------------------------------------------------------------------------
    def get_issue(self, number: int) -> Issue:
        data = self._load()
        issue = self._issue(data, number)
        return Issue(
            number=number, title=issue["title"], body=issue["body"], labels=tuple(issue.get("labels", [])),
            author=issue.get("author", ""), state=issue.get("state", "open"),
        )

    def collaborator_permission(self, login: str) -> str:
        return self.permissions.get(login, "none")

    def list_repo_labels(self) -> list[str]:
        return sorted(self._load()["labels"])

    def create_label(self, spec: LabelSpec) -> None:
        data = self._load()
        data["labels"].setdefault(spec.name, {"color": spec.color, "description": spec.description})
        self._save(data)

    def add_label(self, number: int, name: str) -> None:
        data = self._load()
        issue = self._issue(data, number)
        if name not in issue.setdefault("labels", []):
            issue["labels"].append(name)
        data["labels"].setdefault(name, {"color": "ededed", "description": ""})
        self._save(data)

    def remove_label(self, number: int, name: str) -> None:
        data = self._load()
        issue = self._issue(data, number)
        issue["labels"] = [label for label in issue.get("labels", []) if label != name]
        self._save(data)

    def list_comments(self, number: int) -> list[Comment]:
        data = self._load()
        return [Comment(id=c["id"], author=c["author"], body=c["body"]) for c in self._issue(data, number)["comments"]]

    def create_comment(self, number: int, body: str) -> Comment:
        data = self._load()
        comment = {"id": data["next_id"], "author": self.bot_login, "body": body}
        data["next_id"] += 1
        self._issue(data, number)["comments"].append(comment)
        self._save(data)
        return Comment(id=comment["id"], author=self.bot_login, body=body)

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        data = self._load()
        for comment in self._issue(data, number)["comments"]:
            if comment["id"] == comment_id:
                comment["body"] = body
                self._save(data)
                return
        raise ForgeError(f"comment {comment_id} not found", status=404)

    def add_reaction(self, number: int, comment_id: int, content: str) -> None:
        data = self._load()
        for comment in self._issue(data, number)["comments"]:
            if comment["id"] == comment_id:
                comment.setdefault("reactions", []).append(content)
                self._save(data)
                return
        raise ForgeError(f"comment {comment_id} not found", status=404)

    def get_pull_request(self, number: int) -> PullRequest:
        pr = self._load()["pulls"].get(str(number))
        if pr is None:
            raise ForgeError(f"pull request #{number} not found", status=404)
        return PullRequest(number=number, head=pr["head"], base=pr["base"], draft=pr["draft"], head_sha=pr.get("head_sha"))

    def list_review_comments(self, number: int, review_id: int) -> list[ReviewComment]:
        reviews = self._load()["pulls"][str(number)]["reviews"]
        review = reviews[review_id - 1] if 0 < review_id <= len(reviews) else {"comments": []}
        return [ReviewComment(path=c["path"], line=c["line"], body=c["body"]) for c in review["comments"]]

    def add_comment_as(self, number: int, author: str, body: str) -> Comment:
        """Post a comment as ``author`` (a person, in the demo and tests); returns it."""
        data = self._load()
        comment = {"id": data["next_id"], "author": author, "body": body}
        data["next_id"] += 1
        self._issue(data, number)["comments"].append(comment)
        self._save(data)
        return Comment(id=comment["id"], author=author, body=body)

    def list_issues(self, milestone: int | None = None, labels: tuple[str, ...] = (), state: str = "open") -> list[Issue]:
        found = []
        for number in sorted(self._load()["issues"], key=int):
            issue = self.get_issue(int(number))
            if issue.state == state and all(label in issue.labels for label in labels):
                found.append(issue)
        return found

    def blocked_by(self, number: int) -> list[Issue]:
        return []  # local issues carry their dependencies in the work order files

    def find_milestone(self, title_or_number: str) -> tuple[int, str] | None:
        return None

    def create_issue(self, title: str, body: str, labels: tuple[str, ...] = ()) -> Issue:
        return self.open_issue(title, body, list(labels), self.bot_login)

    def edit_issue_body(self, number: int, body: str) -> None:
        data = self._load()
        self._issue(data, number)["body"] = body
        self._save(data)

    def pin_issue(self, number: int) -> None:
        return None

    def find_pull_request(self, head: str) -> PullRequest | None:
        for number, pr in self._load()["pulls"].items():
            if pr["head"] == head:
                return PullRequest(number=int(number), head=pr["head"], base=pr["base"], draft=pr["draft"])
        return None

    def create_pull_request(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
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
        data = self._load()
        data["pulls"][str(number)]["body"] = body
        self._save(data)

    def create_review(
        self, number: int, commit_sha: str, event: ReviewEvent, body: str, comments: list[ReviewComment]
    ) -> None:
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
        data = self._load()
        data["statuses"].setdefault(sha, []).append(
            {"state": state, "context": context, "description": description, "target_url": target_url}
        )
        self._save(data)
