"""The route preamble (workorder.handlers.router): bots → target → dry-run plan → permission → handler, in
that order, for every route, against one small Forge stub that records every request."""

from __future__ import annotations

import pytest
from conftest import WORK_ORDER, labeled_payload, load_payload

from workorder.contracts.config import RepoConfig
from workorder.contracts.events import IssuesEvent
from workorder.contracts.forge import Comment, ForgeError
from workorder.handlers.context import HandlerContext, ignored
from workorder.handlers.router import ROUTES, Route, dispatch
from workorder.templates import Templates

BOT = "github-actions[bot]"


class StubForge:
    """The Forge calls a route's preamble and refusals make, recorded as (method, first argument).
    ``permissions`` maps login → level; a login missing from it makes the permission call fail."""

    def __init__(self, permissions: dict[str, str] | None = None):
        self.permissions = permissions if permissions is not None else {"Codertocat": "admin", "octocat": "admin"}
        self.calls: list[tuple[str, object]] = []

    def collaborator_permission(self, login: str) -> str:
        self.calls.append(("collaborator_permission", login))
        if login not in self.permissions:
            raise ForgeError("Server Error: 502", 502, transient=True)
        return self.permissions[login]

    def list_comments(self, number: int) -> list[Comment]:
        self.calls.append(("list_comments", number))
        return []

    def create_comment(self, number: int, body: str) -> Comment:
        self.calls.append(("create_comment", number))
        return Comment(id=99, author=BOT, body=body)


def context(forge: StubForge | None = None, dry_run: bool = False, target_issue: int | None = None) -> HandlerContext:
    return HandlerContext(templates=Templates(), config=RepoConfig(), bot_login=BOT, forge=forge,
                          dry_run=dry_run, target_issue=target_issue)


def pr_payload(name: str, ref: str = "wo/7-add-things", fork: bool = False, review_state: str = "changes_requested",
               sender: str = "Codertocat", sender_type: str = "User") -> dict:
    payload = load_payload(f"other/{name}")
    payload["pull_request"]["head"]["ref"] = ref
    if fork:
        payload["pull_request"]["head"]["repo"]["id"] = 1
    if "review" in payload:
        payload["review"]["state"] = review_state
        payload["review"]["user"].update(login=sender, type=sender_type)
    payload["sender"].update(login=sender, type=sender_type)
    return payload


def comment_payload(body: str, action: str = "created", login: str = "Codertocat", user_type: str = "User",
                    on_pr_body: str | None = None) -> dict:
    payload = load_payload("other/issue_comment.created")
    payload["action"] = action
    payload["comment"]["body"] = body
    payload["comment"]["user"].update(login=login, type=user_type)
    payload["sender"].update(login=login, type=user_type)
    payload["issue"]["number"] = 7
    if on_pr_body is not None:
        payload["issue"].update(number=70, pull_request={"url": "x"}, body=on_pr_body)
    return payload


def dispatch_payload(milestone: str = "v1", mode: str = "matrix", sender: str = "octocat") -> dict:
    payload = load_payload("other/workflow_dispatch.none")
    payload["inputs"] = {"milestone": milestone, "mode": mode}
    payload["sender"]["login"] = sender
    return payload


def issues_payload(action: str, label: str | None = None, sender: str = "Codertocat", sender_type: str = "User") -> dict:
    payload = labeled_payload(label=label or "wo:ready", sender=sender, sender_type=sender_type)
    payload["action"] = action
    return payload


# Stops before any API call: (event, payload, decision, reason_code, issue).
BEFORE_ANY_REQUEST = [
    ("issues", labeled_payload(sender=BOT, sender_type="Bot"), "ignored", "bot_sender", 1),
    ("issues", issues_payload("unlabeled", "wo:blocked", sender="x[bot]"), "ignored", "bot_sender", 1),
    ("issues", labeled_payload(label="bug"), "ignored", "not_trigger_label", 1),
    ("issues", issues_payload("unlabeled", "wo:ready"), "ignored", "not_trigger_label", 1),
    ("issues", issues_payload("edited", sender=BOT), "ignored", "bot_sender", 1),
    ("issues", issues_payload("closed", sender=BOT), "ignored", "bot_sender", 1),
    ("issue_comment", comment_payload("/wo status", action="edited", login=BOT, user_type="Bot"), "ignored",
     "edited_comment", 7),
    ("issue_comment", comment_payload("/wo status", login="dependabot[bot]", user_type="Bot"), "ignored", "bot_sender", 7),
    ("issue_comment", comment_payload("thanks!"), "ignored", "no_command", 7),
    ("issue_comment", comment_payload("/wo status", on_pr_body="an unrelated PR"), "ignored", "not_work_order_pr", 70),
    ("pull_request_review", pr_payload("pull_request_review.submitted", sender=BOT, sender_type="Bot"), "ignored",
     "bot_sender", None),
    ("pull_request_review", pr_payload("pull_request_review.submitted", review_state="approved"), "ignored",
     "review_not_changes", None),
    ("pull_request_review", pr_payload("pull_request_review.submitted", fork=True), "refused", "fork_pull_request", None),
    ("pull_request_review", pr_payload("pull_request_review.submitted", ref="feature/x"), "ignored",
     "not_work_order_pr", None),
    ("pull_request", pr_payload("pull_request.synchronize", sender=BOT, sender_type="Bot"), "ignored", "bot_sender", None),
    ("pull_request_target", pr_payload("pull_request.synchronize", fork=True), "refused", "fork_pull_request", None),
    ("pull_request", pr_payload("pull_request.synchronize", ref="feature/x"), "ignored", "not_work_order_pr", None),
    ("workflow_dispatch", dispatch_payload(milestone=""), "ignored", "no_milestone", None),
    ("workflow_dispatch", dispatch_payload(mode="parallel"), "invalid", "bad_mode", None),
    ("workflow_dispatch", dispatch_payload(sender=BOT), "ignored", "bot_sender", None),
    ("push", {"ref": "x"}, "ignored", "no_handler", None),
    ("issues", {"action": "labeled"}, "ignored", "bad_payload", None),
]


@pytest.mark.parametrize(("event", "payload", "decision", "code", "issue"), BEFORE_ANY_REQUEST,
                         ids=[f"{e}-{c}-{i}" for i, (e, _, _, c, _) in enumerate(BEFORE_ANY_REQUEST)])
def test_preamble_stops_before_any_request(event, payload, decision, code, issue):
    forge = StubForge()
    outcome = dispatch(event, payload, context(forge))
    assert (outcome.decision, outcome.reason_code, outcome.issue) == (decision, code, issue)
    assert outcome.reason and forge.calls == []
    assert outcome.event == ("pull_request" if event == "pull_request_target" else event)


# The dry-run plan of every route: (event, payload, reason_code, issue).
PLANS = [
    ("issues", labeled_payload(), "would_run", 1),
    ("issues", issues_payload("unlabeled", "wo:blocked"), "guard_label", 1),
    ("issues", issues_payload("edited"), "would_check_lock", 1),
    ("issues", issues_payload("closed"), "would_start_dependents", 1),
    ("issue_comment", comment_payload("/wo status"), "would_run_commands", 7),
    ("issue_comment", comment_payload("/wo fix x", on_pr_body="Closes #7\n<!-- workorder:issue 7 -->"),
     "would_run_commands", 7),
    ("pull_request_review", pr_payload("pull_request_review.submitted"), "would_fix_from_review", 7),
    ("pull_request", pr_payload("pull_request.synchronize"), "would_review_push", 7),
    ("pull_request_target", pr_payload("pull_request.synchronize"), "would_review_push", 7),
    ("workflow_dispatch", dispatch_payload(), "would_plan_milestone", None),
]


@pytest.mark.parametrize("with_forge", [True, False], ids=["dry_run", "no_forge"])
@pytest.mark.parametrize(("event", "payload", "code", "issue"), PLANS, ids=[p[2] + str(i) for i, p in enumerate(PLANS)])
def test_dry_run_or_no_forge_gives_the_plan_without_requests(event, payload, code, issue, with_forge):
    forge = StubForge(permissions={})  # a permission check would fail: the plan comes first
    outcome = dispatch(event, payload, context(forge if with_forge else None, dry_run=with_forge))
    assert (outcome.decision, outcome.reason_code, outcome.issue) == ("plan", code, issue)
    assert outcome.steps and forge.calls == []


# A sender below min_permission (write) or whose permission cannot be read:
# (event, payload, permissions, decision, reason_code, issue, requests after the permission check).
REFUSALS = [
    ("issues", labeled_payload(), {"Codertocat": "read"}, "refused", "permission", 1, [("create_comment", 1)]),
    ("issues", labeled_payload(), {}, "refused", "permission_error", 1, []),
    ("issues", issues_payload("closed"), {"Codertocat": "triage"}, "refused", "permission", 1, []),
    ("issues", issues_payload("closed"), {}, "refused", "permission", 1, []),
    ("workflow_dispatch", dispatch_payload(), {"octocat": "read"}, "refused", "permission", None, []),
    ("workflow_dispatch", dispatch_payload(), {}, "refused", "permission", None, []),
    # not the work order's PR (no hidden state names it): ignored as the handler would, no reply
    ("pull_request_review", pr_payload("pull_request_review.submitted"), {"Codertocat": "read"}, "ignored",
     "not_work_order_pr", 7, [("list_comments", 7)]),
    ("pull_request", pr_payload("pull_request.synchronize"), {}, "ignored", "not_work_order_pr", 7,
     [("list_comments", 7)]),
]


@pytest.mark.parametrize(("event", "payload", "permissions", "decision", "code", "issue", "after"), REFUSALS,
                         ids=[f"{r[0]}-{r[4]}-{i}" for i, r in enumerate(REFUSALS)])
def test_permission_is_checked_once_and_fails_closed(event, payload, permissions, decision, code, issue, after):
    forge = StubForge(permissions=permissions)
    outcome = dispatch(event, payload, context(forge))
    assert (outcome.decision, outcome.reason_code, outcome.issue) == (decision, code, issue)
    sender = payload["sender"]["login"]
    assert forge.calls == [("collaborator_permission", sender), *after]


def test_refused_trigger_names_the_permission_in_its_comment_and_outcome():
    forge = StubForge(permissions={"Codertocat": "read"})
    outcome = dispatch("issues", labeled_payload(), context(forge))
    assert "read" in outcome.reason and "write" in outcome.reason


def test_slash_commands_have_no_route_permission_check():
    """``issue_comment`` checks permission per command (in the handler), not in the route."""
    [route] = [r for r in ROUTES if r.event == "issue_comment" and "created" in r.actions]
    assert route.permission(None) is None


class Recorder:
    """A route whose parts record that they ran, in order."""

    def __init__(self, target=7, login: str | None = "alice"):
        self.ran: list[str] = []
        self.route = Route(
            "issues", frozenset({"labeled"}), IssuesEvent, self.handler, self.plan, target=self.target,
            actors=self.actors, permission=self.permission)
        self._target, self._login = target, login

    def actors(self, event):
        self.ran.append("actors")
        return (event.sender,)

    def target(self, event, ctx):
        self.ran.append("target")
        return self._target

    def plan(self, event, ctx, target):
        self.ran.append(f"plan:{target}")
        return ctx.outcome("issues", event.action, "plan", "would_run", issue_number=target, branch="wo/7-x")

    def permission(self, event):
        self.ran.append("permission")
        return self._login

    def handler(self, event, ctx, target):
        self.ran.append(f"handler:{target}")
        return ctx.outcome("issues", event.action, "done", "ran", issue_number=target, state_name="passed")


# (sender, sender type, target, dry run, route login, permissions) → (parts that ran, decision, code, requests)
ORDER = [
    ("alice", "User", 7, False, "alice", {"alice": "write"},
     ["actors", "target", "permission", "handler:7"], "done", "ran", 1),
    ("alice", "Bot", 7, False, "alice", {"alice": "write"}, ["actors"], "ignored", "bot_sender", 0),
    ("alice", "User", ignored("not_trigger_label", label="x", trigger="wo:ready"), False, "alice", {"alice": "write"},
     ["actors", "target"], "ignored", "not_trigger_label", 0),
    ("alice", "User", 7, True, "alice", {}, ["actors", "target", "plan:7"], "plan", "would_run", 0),
    ("alice", "User", 7, False, "alice", {"alice": "read"}, ["actors", "target", "permission"], "refused", "permission", 1),
    ("alice", "User", 7, False, "alice", {}, ["actors", "target", "permission"], "refused", "permission", 1),
    ("alice", "User", 7, False, None, {}, ["actors", "target", "permission", "handler:7"], "done", "ran", 0),
]


@pytest.mark.parametrize(("sender", "kind", "target", "dry_run", "login", "permissions", "ran", "decision", "code", "requests"),
                         ORDER, ids=[f"{o[7]}-{o[8]}-{i}" for i, o in enumerate(ORDER)])
def test_preamble_runs_in_one_order(sender, kind, target, dry_run, login, permissions, ran, decision, code, requests):
    recorder = Recorder(target=target, login=login)
    forge = StubForge(permissions=permissions)
    payload = labeled_payload(sender=sender, sender_type=kind)
    outcome = dispatch("issues", payload, context(forge, dry_run=dry_run), routes=(recorder.route,))
    assert recorder.ran == ran
    assert (outcome.decision, outcome.reason_code) == (decision, code)
    assert len(forge.calls) == requests


def test_a_route_whose_when_is_false_passes_the_event_on():
    first, second = Recorder(), Recorder(target=9)
    skipped = Route("issues", frozenset({"labeled"}), IssuesEvent, first.handler, first.plan,
                    when=lambda event, config: False)
    outcome = dispatch("issues", labeled_payload(), context(StubForge(permissions={"alice": "write"})),
                       routes=(skipped, second.route))
    assert outcome.issue == 9 and first.ran == [] and second.ran[-1] == "handler:9"


def test_permitted_login_is_recorded_for_the_handler():
    ctx = context(StubForge(permissions={"alice": "maintain"}))
    dispatch("issues", labeled_payload(body=WORK_ORDER), ctx, routes=(Recorder().route,))
    assert ctx.permissions == {"alice": "maintain"}
