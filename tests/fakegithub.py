"""A stateful fake of the GitHub REST API endpoints workorder uses, on top of ``responses``.

Shapes follow docs.github.com/en/rest (issues, labels, comments, pulls, reviews, statuses,
collaborator permission). Every request is recorded in ``calls`` as (METHOD, path) so tests can
count API requests.

Fault injection: :meth:`FakeGitHub.fault_at` (by request number, 1-based) and :meth:`FakeGitHub.fault_on`
(by method and path) answer with a :class:`Fault` instead: a status (5xx, 401, 403, 404, 422), the
same after applying the request ("applied, then 502"), GitHub's rate-limit answers (:func:`fault`), or a
kill: the request is applied, then :class:`Killed` (a BaseException, like the process dying) is raised.
``kill_at_write`` kills after the k-th write (any method but GET); ``latency_s`` delays every answer.

Like GitHub, every answer carries the primary rate limit's headers (``x-ratelimit-remaining`` counts down
from ``rate_limit``, see :mod:`fakegithub_http`), and a GET answers 304 with no body when its
``If-None-Match`` names the ETag of an unchanged answer; :meth:`FakeGitHub.rate_limited` counts the
requests that count against the limit (every answer but a 304).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import responses

from fakegithub_http import finish

API = "https://api.github.com"


class Killed(BaseException):
    """The process running `workorder handle` died (the kill switch): nothing after it runs."""


@dataclass(frozen=True)
class Fault:
    """One injected failure: answer ``status`` with ``headers`` and ``body``; when ``applied``, the
    request takes effect first; when ``kill``, it takes effect and then :class:`Killed` is raised."""

    status: int = 502
    headers: dict = field(default_factory=dict)
    body: dict = field(default_factory=lambda: {"message": "fake failure"})
    applied: bool = False
    kill: bool = False


TRANSIENT_FAULTS = ("5xx", "applied-502", "403-primary", "403-secondary", "429", "kill")
PERMANENT_FAULTS = ("401", "403", "404", "422")


def fault(kind: str) -> Fault:
    """The :class:`Fault` of a kind in :data:`TRANSIENT_FAULTS` or :data:`PERMANENT_FAULTS`: primary rate
    limit is 403 with ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` 30 s ahead; secondary is
    403 with ``retry-after``; 429 has ``retry-after``; ``403`` alone is a missing permission."""
    reset = str(int(time.time()) + 30)
    return {
        "5xx": Fault(503),
        "applied-502": Fault(502, applied=True),
        "403-primary": Fault(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset, "x-ratelimit-limit": "5000"},
                             {"message": "API rate limit exceeded for installation ID 1."}),
        "403-secondary": Fault(403, {"retry-after": "2"}, {"message": "You have exceeded a secondary rate limit."}),
        "429": Fault(429, {"retry-after": "1"}, {"message": "Too many requests"}),
        "kill": Fault(kill=True),
        "401": Fault(401, body={"message": "Bad credentials"}),
        "403": Fault(403, body={"message": "Resource not accessible by integration"}),
        "404": Fault(404, body={"message": "Not Found"}),
        "422": Fault(422, body={"message": "Validation Failed", "errors": [{"code": "invalid"}]}),
    }[kind]


@dataclass
class FakeGitHub:
    repo: str = "Codertocat/Hello-World"
    bot_login: str = "github-actions[bot]"
    permissions: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict] = field(default_factory=dict)
    issues: dict[int, dict] = field(default_factory=dict)
    comments: dict[int, dict] = field(default_factory=dict)
    pulls: dict[int, dict] = field(default_factory=dict)
    reviews: list[dict] = field(default_factory=list)
    statuses: list[dict] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    next_number: int = 100
    next_id: int = 5000
    fail: dict[tuple[str, str], list[tuple[int, dict, dict]]] = field(default_factory=dict)
    review_author: str | None = None
    head_sha: Any = None  # callable(branch) -> sha of the branch on the real git origin, when set
    before_request: Any = None  # callable(method, path) run before each request (to simulate edits)
    faults_at: dict[int, Fault] = field(default_factory=dict)  # request number (1-based) → fault
    faults_on: list[tuple[str, str, Fault]] = field(default_factory=list)  # (method, path regex, fault), once each
    kill_at_write: int | None = None
    latency_s: float = 0.0
    writes: int = 0
    rate_limit: int = 5000  # x-ratelimit-limit (5,000 for a GitHub App installation, 1,000 for GITHUB_TOKEN)
    rate_remaining: int | None = None  # x-ratelimit-remaining now (None: rate_limit)
    rate_reset: int | None = None  # x-ratelimit-reset, epoch seconds (None: an hour after the first request)
    not_modified: int = 0  # 304 answers (free: they do not count against the rate limit)

    # -- helpers for tests -------------------------------------------------------------------
    milestones: dict[int, str] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # branch name → sha (git/refs endpoints)
    pinned: list[int] = field(default_factory=list)

    def add_issue(self, number: int, title: str, body: str, labels: list[str], author: str = "Codertocat",
                  milestone: int | None = None, blocked_by: list[int] | None = None) -> None:
        self.issues[number] = {"number": number, "title": title, "body": body, "labels": list(labels),
                               "user": author, "state": "open", "milestone": milestone,
                               "blocked_by": list(blocked_by or [])}
        self.next_number = max(self.next_number, number + 1)

    def issue_comments(self, number: int) -> list[dict]:
        return [c for c in self.comments.values() if c["issue"] == number]

    def rate_limited(self) -> int:
        """The requests that counted against the rate limit: every answer but a 304."""
        return len(self.calls) - self.not_modified

    def count(self, method: str | None = None, pattern: str = "") -> int:
        return sum(1 for m, p in self.calls if (method is None or m == method) and re.search(pattern, p))

    def fault_at(self, request_number: int, f: Fault) -> None:
        """Answer the ``request_number``-th request (counted in ``calls``, 1-based) with ``f``."""
        self.faults_at[request_number] = f

    def fault_on(self, method: str, path_regex: str, f: Fault) -> None:
        """Answer the next request matching ``method`` and ``path_regex`` with ``f`` (once)."""
        self.faults_on.append((method, path_regex, f))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        found = self.faults_at.pop(len(self.calls), None)
        for i, (m, regex, f) in enumerate(self.faults_on):
            if found is None and m == method and re.search(regex, path):
                del self.faults_on[i]
                found = f
        return found

    def fail_next(self, method: str, path_regex: str, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        """Make the next matching request answer ``status`` (queue several by calling again)."""
        self.fail.setdefault((method, path_regex), []).append((status, body or {"message": "fake failure"}, headers or {}))

    # -- JSON shapes -------------------------------------------------------------------------
    def _user(self, login: str) -> dict:
        return {"login": login, "id": abs(hash(login)) % 10**6, "type": "Bot" if login.endswith("[bot]") else "User",
                "url": f"{API}/users/{login}"}

    def _label(self, name: str) -> dict:
        spec = self.labels.get(name, {"color": "ededed", "description": ""})
        return {"name": name, "color": spec["color"], "description": spec["description"],
                "url": f"{API}/repos/{self.repo}/labels/{name}"}

    def _issue(self, n: int) -> dict:
        issue = self.issues[n]
        milestone = issue.get("milestone")
        return {"number": n, "title": issue["title"], "body": issue["body"], "state": issue["state"],
                "labels": [self._label(x) for x in issue["labels"]], "user": self._user(issue["user"]),
                "comments": len(self.issue_comments(n)), "node_id": f"I_{n}", "milestone": {"number": milestone, "title": self.milestones.get(milestone, "")}
                if milestone else None,
                "issue_dependencies_summary": {  # blocked_by counts open blockers only, total_* all of them
                    "blocked_by": sum(1 for b in issue.get("blocked_by", []) if self.issues.get(b, {}).get("state") == "open"),
                    "total_blocked_by": len(issue.get("blocked_by", [])), "blocking": 0, "total_blocking": 0},
                "url": f"{API}/repos/{self.repo}/issues/{n}", "html_url": f"https://github.com/{self.repo}/issues/{n}"}

    def _comment(self, c: dict) -> dict:
        return {"id": c["id"], "body": c["body"], "user": self._user(c["user"]),
                "url": f"{API}/repos/{self.repo}/issues/comments/{c['id']}"}

    def _pull(self, n: int) -> dict:
        pr = self.pulls[n]
        sha = self.head_sha(pr["head"]) if self.head_sha else pr.get("sha", "0" * 40)
        return {"number": n, "title": pr["title"], "body": pr["body"], "draft": pr["draft"], "state": pr["state"],
                "merged_at": pr.get("merged_at"),
                "head": {"ref": pr["head"], "sha": sha}, "base": {"ref": pr["base"]},
                "url": f"{API}/repos/{self.repo}/pulls/{n}", "html_url": f"https://github.com/{self.repo}/pull/{n}",
                "issue_url": f"{API}/repos/{self.repo}/issues/{n}", "user": self._user(self.bot_login)}

    # -- routing -----------------------------------------------------------------------------
    def install(self, rsps: responses.RequestsMock) -> None:
        for method in ("GET", "POST", "PATCH", "DELETE", "PUT"):
            rsps.add_callback(method, re.compile(re.escape(API) + r"(:443)?/.*"), callback=self._dispatch)

    def _dispatch(self, request: Any) -> tuple[int, dict, str]:
        return finish(self, request, self._dispatch_once(request))

    def _dispatch_once(self, request: Any) -> tuple[int, dict, str]:
        url = urlparse(request.url)
        path = unquote(url.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.calls.append((request.method, path))
        if self.latency_s:
            time.sleep(self.latency_s)
        if self.before_request:
            self.before_request(request.method, path)
        for (method, regex), queue in list(self.fail.items()):
            if method == request.method and re.search(regex, path) and queue:
                status, body, headers = queue.pop(0)
                return status, {"Content-Type": "application/json", **headers}, json.dumps(body)
        injected = self._take_fault(request.method, path)
        if injected is not None and not (injected.applied or injected.kill):
            return injected.status, {"Content-Type": "application/json", **injected.headers}, json.dumps(injected.body)
        answer = self._answer(request, path, query)
        if request.method != "GET":
            self.writes += 1
            if self.writes == self.kill_at_write:
                raise Killed(f"killed after write {self.writes}: {request.method} {path}")
        if injected is not None and injected.kill:
            raise Killed(f"killed after {request.method} {path}")
        if injected is not None:
            return injected.status, {"Content-Type": "application/json", **injected.headers}, json.dumps(injected.body)
        return answer

    def _answer(self, request: Any, path: str, query: dict) -> tuple[int, dict, str]:
        body = json.loads(request.body) if request.body else {}
        if path == "/graphql":
            return self.graphql(body)
        prefix = f"/repos/{self.repo}"
        if not path.startswith(prefix):
            return self._json(404, {"message": "Not Found"})
        rest = path[len(prefix):]
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, rest)
            if method == request.method and match:
                return handler(body, query, *match.groups())
        return self._json(404, {"message": f"fake has no route for {request.method} {path}"})

    def _routes(self):
        return [
            ("GET", r"/collaborators/([^/]+)/permission", self.get_permission),
            ("GET", r"/issues/(\d+)", self.get_issue),
            ("GET", r"/issues", self.list_issues),
            ("POST", r"/issues", self.create_issue),
            ("PATCH", r"/issues/(\d+)", self.edit_issue),
            ("GET", r"/issues/(\d+)/dependencies/blocked_by", self.list_blocked_by),
            ("GET", r"/milestones", self.list_milestones),
            ("GET", r"/labels", self.list_labels),
            ("POST", r"/labels", self.create_label),
            ("POST", r"/issues/(\d+)/labels", self.add_labels),
            ("PUT", r"/issues/(\d+)/labels", self.set_labels),
            ("PATCH", r"/labels/(.+)", self.edit_label),
            ("DELETE", r"/issues/(\d+)/labels/(.+)", self.remove_label),
            ("GET", r"/issues/(\d+)/comments", self.list_comments),
            ("POST", r"/issues/(\d+)/comments", self.create_comment),
            ("PATCH", r"/issues/comments/(\d+)", self.edit_comment),
            ("GET", r"/pulls", self.list_pulls),
            ("POST", r"/pulls", self.create_pull),
            ("GET", r"/pulls/(\d+)", self.get_pull),
            ("PATCH", r"/pulls/(\d+)", self.edit_pull),
            ("POST", r"/pulls/(\d+)/reviews", self.create_review),
            ("POST", r"/statuses/([0-9a-f]{40})", self.create_status),
            ("POST", r"/issues/comments/(\d+)/reactions", self.create_reaction),
            ("GET", r"/pulls/(\d+)/reviews/(\d+)/comments", self.list_review_comments),
            ("GET", r"/pulls/(\d+)/reviews", self.list_reviews),
            ("GET", r"/commits/([0-9a-f]{40})/status", self.combined_status),
            ("GET", r"/git/matching-refs/heads/(.*)", self.matching_refs),
            ("DELETE", r"/git/refs/heads/(.+)", self.delete_ref),
        ]

    def matching_refs(self, body, query, prefix):
        found = [{"ref": f"refs/heads/{b}", "object": {"sha": sha, "type": "commit"}}
                 for b, sha in sorted(self.branches.items()) if b.startswith(prefix)]
        return self._page(found, query, f"/git/matching-refs/heads/{prefix}")

    def delete_ref(self, body, query, branch):
        if self.branches.pop(branch, None) is None:
            return self._json(422, {"message": "Reference does not exist"})
        return 204, {}, ""

    @staticmethod
    def _json(status: int, data: Any) -> tuple[int, dict, str]:
        return status, {"Content-Type": "application/json"}, json.dumps(data)

    # -- endpoints ---------------------------------------------------------------------------
    def get_permission(self, body, query, login):
        role = self.permissions.get(login)
        if role is None:
            return self._json(404, {"message": "Not Found"})
        legacy = {"maintain": "write", "triage": "read"}.get(role, role)
        return self._json(200, {"permission": legacy, "role_name": role, "user": self._user(login)})

    def get_issue(self, body, query, n):
        if int(n) not in self.issues:
            return self._json(404, {"message": "Not Found"})
        return self._json(200, self._issue(int(n)))

    def _page(self, items: list, query: dict, path: str) -> tuple[int, dict, str]:
        assert query.get("per_page") == "100", "lists must ask for per_page=100"
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * 100: page * 100]
        headers = {"Content-Type": "application/json"}
        if page * 100 < len(items):
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
            headers["Link"] = f'<{API}/repos/{self.repo}{path}?{rest}&page={page + 1}>; rel="next"'
        return 200, headers, json.dumps(chunk)

    def list_issues(self, body, query):
        labels = [x for x in query.get("labels", "").split(",") if x]
        found = [self._issue(n) for n, i in sorted(self.issues.items())
                 if i["state"] == query.get("state", "open")
                 and ("milestone" not in query or str(i.get("milestone")) == query["milestone"])
                 and all(label in i["labels"] for label in labels)]
        found += [{**self._pull(n), "pull_request": {}} for n in self.pulls if not labels and "milestone" not in query]
        return self._page(found, query, "/issues")

    def list_blocked_by(self, body, query, n):
        return self._page([self._issue(b) for b in self.issues[int(n)].get("blocked_by", []) if b in self.issues],
                          query, f"/issues/{n}/dependencies/blocked_by")

    def list_milestones(self, body, query):
        return self._page([{"number": k, "title": v} for k, v in sorted(self.milestones.items())], query, "/milestones")

    def create_issue(self, body, query):
        n = self.next_number
        self.next_number += 1
        self.add_issue(n, body["title"], body.get("body", ""), body.get("labels", []), author=self.bot_login)
        return self._json(201, self._issue(n))

    def edit_issue(self, body, query, n):
        self.issues[int(n)].update({k: v for k, v in body.items() if k in ("body", "title", "state")})
        return self._json(200, self._issue(int(n)))

    def graphql(self, body):
        node = body.get("variables", {}).get("id", "")
        self.pinned.append(int(node.split("_", 1)[1]))
        return self._json(200, {"data": {"pinIssue": {"issue": {"number": self.pinned[-1]}}}})

    def list_labels(self, body, query):
        assert query.get("per_page") == "100", "lists must ask for per_page=100"
        return self._json(200, [self._label(name) for name in self.labels])

    def create_label(self, body, query):
        if body["name"] in self.labels:
            return self._json(422, {"message": "Validation Failed", "errors": [{"code": "already_exists"}]})
        self.labels[body["name"]] = {"color": body["color"], "description": body.get("description", "")}
        return self._json(201, self._label(body["name"]))

    def add_labels(self, body, query, n):
        issue = self.issues[int(n)]
        names = body["labels"] if isinstance(body, dict) else body  # GitHub accepts both forms
        for name in names:
            self.labels.setdefault(name, {"color": "ededed", "description": ""})
            if name not in issue["labels"]:
                issue["labels"].append(name)
        return self._json(200, [self._label(x) for x in issue["labels"]])

    def set_labels(self, body, query, n):
        """PUT: the issue's labels become exactly these (created, grey and without description, when new)."""
        self.issues[int(n)]["labels"] = []
        return self.add_labels(body, query, n)

    def edit_label(self, body, query, name):
        if name not in self.labels:
            return self._json(404, {"message": "Not Found"})
        self.labels[name].update({k: body[k] for k in ("color", "description") if k in body})
        return self._json(200, self._label(name))

    def remove_label(self, body, query, n, name):
        issue = self.issues[int(n)]
        if name not in issue["labels"]:
            return self._json(404, {"message": "Label does not exist"})
        issue["labels"].remove(name)
        return self._json(200, [self._label(x) for x in issue["labels"]])

    def list_comments(self, body, query, n):
        assert query.get("per_page") == "100", "lists must ask for per_page=100"
        return self._json(200, [self._comment(c) for c in self.issue_comments(int(n))])

    def create_comment(self, body, query, n):
        self.next_id += 1
        comment = {"id": self.next_id, "issue": int(n), "body": body["body"], "user": self.bot_login}
        self.comments[self.next_id] = comment
        return self._json(201, self._comment(comment))

    def edit_comment(self, body, query, cid):
        comment = self.comments[int(cid)]
        comment["body"] = body["body"]
        return self._json(200, self._comment(comment))

    def list_pulls(self, body, query):
        head = query.get("head", "")
        branch = head.split(":", 1)[-1]
        found = [self._pull(n) for n, pr in self.pulls.items() if not head or pr["head"] == branch]
        return self._json(200, found)

    def create_pull(self, body, query):
        if any(pr["head"] == body["head"] for pr in self.pulls.values()):
            return self._json(422, {"message": "Validation Failed",
                                    "errors": [{"message": f"A pull request already exists for {body['head']}."}]})
        n = self.next_number
        self.next_number += 1
        self.pulls[n] = {"title": body["title"], "body": body["body"], "head": body["head"], "base": body["base"],
                         "draft": body.get("draft", False), "state": "open"}
        return self._json(201, self._pull(n))

    def get_pull(self, body, query, n):
        return self._json(200, self._pull(int(n)))

    def edit_pull(self, body, query, n):
        self.pulls[int(n)].update({k: v for k, v in body.items() if k in ("body", "title")})
        return self._json(200, self._pull(int(n)))

    def create_review(self, body, query, n):
        author = self.review_author or self.bot_login
        if body.get("event") == "REQUEST_CHANGES" and author == self.bot_login:
            return self._json(422, {"message": "Unprocessable Entity",
                                    "errors": ["Review Can not request changes on your own pull request"]})
        review = {"pull": int(n), **body, "user": author}
        self.reviews.append(review)
        return self._json(200, {"id": len(self.reviews), "state": body.get("event"), "body": body.get("body"),
                                "commit_id": body.get("commit_id"), "user": self._user(author)})

    def list_reviews(self, body, query, n):
        states = {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "APPROVE": "APPROVED"}
        found = [{"id": i, "user": self._user(r["user"]), "body": r.get("body", ""), "commit_id": r.get("commit_id"),
                  "state": states.get(r.get("event", ""), "COMMENTED")}
                 for i, r in enumerate(self.reviews, start=1) if r["pull"] == int(n)]
        return self._page(found, query, f"/pulls/{n}/reviews")

    def combined_status(self, body, query, sha):
        latest: dict[str, dict] = {}
        for s in self.statuses:
            if s["sha"] == sha:
                latest[s["context"]] = s
        states = {s["state"] for s in latest.values()}
        overall = "failure" if states & {"failure", "error"} else "pending" if states - {"success"} or not states else "success"
        return self._json(200, {"state": overall, "sha": sha, "total_count": len(latest),
                                "statuses": [{"context": c, "state": s["state"], "description": s.get("description", ""),
                                              "target_url": s.get("target_url")} for c, s in latest.items()]})

    def create_reaction(self, body, query, cid):
        self.comments[int(cid)].setdefault("reactions", []).append(body["content"])
        return self._json(201, {"id": 1, "content": body["content"], "user": self._user(self.bot_login)})

    def list_review_comments(self, body, query, n, review_id):
        review = self.reviews[int(review_id) - 1]
        return self._json(200, [{"id": i, "path": c["path"], "line": c["line"], "body": c["body"],
                                 "url": f"{API}/repos/{self.repo}/pulls/comments/{i}", "user": self._user(review["user"])}
                                for i, c in enumerate(review.get("comments", []), start=1)])

    def add_comment(self, number: int, author: str, body: str) -> int:
        """A person's comment on an issue or PR; returns its id."""
        self.next_id += 1
        self.comments[self.next_id] = {"id": self.next_id, "issue": number, "body": body, "user": author}
        return self.next_id

    def create_status(self, body, query, sha):
        self.statuses.append({"sha": sha, **body})
        return self._json(201, {"id": len(self.statuses), **body})
