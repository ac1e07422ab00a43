"""Say on the issue that a job failed outside ``workorder handle``: setup-python could not fetch its
Python, the install failed, the job was cancelled or reached its ``timeout-minutes``.

action.yml's last step (mode ``handle``, ``if: failure() || cancelled()``) runs this module the route
step's way, with the runner's own ``python3`` from the action's folder and nothing installed (an
install that failed is one of the things it reports)::

    cd "$ACTION_PATH/src" && python3 -B -E -S -m workorder.handlers.job_failed

It needs the standard library only (like :mod:`workorder.handlers.route`, which it uses to find the
event's issue and lane), so its texts are plain strings rather than Jinja2 templates, and it talks
to the REST API with :mod:`urllib`. What it does, once per workflow run (GitHub's REST API,
docs.github.com "Issue comments" and "Labels"):

- one comment on the issue naming the step that failed (or the cancellation) and linking the run,
  carrying the hidden marker ``<!-- workorder:job-failed <run id> -->``; a second attempt of the
  same run edits the bot's comment with that marker instead of adding one;
- in the loop lane only (the one job per issue that moves state labels; a ``now`` command's job runs
  beside a live loop and must not touch them): ``<prefix>running``, or the trigger label the failed
  job was started by, becomes ``<prefix>blocked``, so the label is never left at ``running`` and
  adding the trigger label again starts over.

When ``workorder handle`` itself failed after reporting (its ``decision`` output is set) it has
already said so on the issue, and nothing more is posted.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from .route import RouteSettings, read_payload, route_event

MARKER = "<!-- workorder:job-failed {run_id} -->"
# action.yml's steps before handle, in order: (environment variable of the step's outcome, what it did)
STEPS = (
    ("WORKORDER_OUTCOME_PYTHON", "setting up the action's Python (actions/setup-python)"),
    ("WORKORDER_OUTCOME_INSTALL", "installing workorder"),
    ("WORKORDER_OUTCOME_AGENT", "installing the agent CLI"),
    ("WORKORDER_OUTCOME_SANDBOX", "allowing codex's sandbox"),
    ("WORKORDER_OUTCOME_HANDLE", "`workorder handle`"),
)
MAX_PAGES = 30
TIMEOUT_S = 20


class RestError(Exception):
    """A REST request failed: the message names the method, path and status."""


@dataclass(frozen=True)
class FailedJob:
    """What the step reads from its environment, once (action.yml passes every input through
    ``env:``): the repository, run, API URL and token, the bot's login, the label prefix and the
    outcome of each earlier step."""

    repository: str
    api_url: str
    server_url: str
    run_id: str
    run_attempt: str
    token: str
    bot_login: str
    label_prefix: str
    issue_input: str
    outcomes: dict[str, str]
    handle_decision: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FailedJob:
        """The settings from ``environ`` (``os.environ`` in the entry point). The label prefix is
        ``WORKORDER_LABEL_PREFIX``, else the trigger label without its ``ready`` (``wo:``)."""
        trigger = environ.get("WORKORDER_TRIGGER_LABEL") or "wo:ready"
        prefix = environ.get("WORKORDER_LABEL_PREFIX") or (trigger[:-5] if trigger.endswith("ready") else "wo:")
        return cls(repository=environ.get("GITHUB_REPOSITORY", ""),
                   api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
                   server_url=(environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
                   run_id=environ.get("GITHUB_RUN_ID", ""), run_attempt=environ.get("GITHUB_RUN_ATTEMPT", "1"),
                   token=environ.get("WORKORDER_GITHUB_TOKEN", ""),
                   bot_login=environ.get("WORKORDER_BOT_LOGIN") or "github-actions[bot]", label_prefix=prefix,
                   issue_input=environ.get("WORKORDER_ISSUE", "").strip(),
                   outcomes={name: environ.get(name, "") for name, _ in STEPS},
                   handle_decision=environ.get("WORKORDER_HANDLE_DECISION", ""))


def what_failed(outcomes: Mapping[str, str]) -> str:
    """The sentence naming the first step whose outcome is ``failure`` (from ``outcomes``, the
    ``steps.<id>.outcome`` values), else the cancellation (a person, or the job's timeout)."""
    for name, doing in STEPS:
        if outcomes.get(name) == "failure":
            return f"The job failed while {doing}." if name != "WORKORDER_OUTCOME_HANDLE" else f"{doing} failed."
    return "The job was cancelled (by a person, or it reached its `timeout-minutes`) before workorder finished."


def comment_body(job: FailedJob, lane: str) -> str:
    """The comment: what failed, the run's link, what happened to the label and what to do next."""
    run = f"{job.server_url}/{job.repository}/actions/runs/{job.run_id}"
    if job.run_attempt not in ("", "1"):
        run += f"/attempts/{job.run_attempt}"
    label = f"`{job.label_prefix}blocked`"
    after = (f"The work order is now {label}; fix the cause, then add the trigger label again to start over."
             if lane == "loop" else "Nothing about the work order changed; post the command again once the cause is fixed.")
    return (f"**workorder could not run.** {what_failed(job.outcomes)} See the run: {run}\n\n{after}\n\n"
            + MARKER.format(run_id=job.run_id) + "\n")


class Rest:
    """The few REST calls this step makes, with :mod:`urllib` and ``token``."""

    def __init__(self, api_url: str, repository: str, token: str):
        self.base = f"{api_url}/repos/{repository}"
        self.token = token

    def call(self, method: str, url: str, body: Any = None) -> tuple[Any, str]:
        """``method`` ``url`` (absolute, or a path under the repository) with a JSON ``body``; returns
        the decoded answer and the ``Link`` header. Raises :class:`RestError` on any failure."""
        url = url if url.startswith("http") else self.base + url
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "workorder-job-failed",
            **({"Content-Type": "application/json"} if data is not None else {})})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310 (the API URL)
                text = answer.read().decode("utf-8", "replace")
                return (json.loads(text) if text.strip() else None), answer.headers.get("Link", "")
        except urllib.error.HTTPError as exc:
            raise RestError(f"{method} {url.split('?')[0]} answered {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise RestError(f"{method} {url.split('?')[0]} failed: {exc}") from None

    def comments(self, issue: int) -> list[dict]:
        """Every comment of ``issue``, following the ``Link: rel="next"`` pages (at most MAX_PAGES)."""
        url, found = f"/issues/{issue}/comments?per_page=100", []
        for _ in range(MAX_PAGES):
            page, link = self.call("GET", url)
            found += [c for c in page if isinstance(c, dict)] if isinstance(page, list) else []
            nxt = [p.split(";")[0].strip(" <>") for p in link.split(",") if 'rel="next"' in p]
            if not nxt:
                break
            url = nxt[0]
        return found


def post_once(rest: Rest, job: FailedJob, issue: int, body: str) -> str:
    """Create the run's comment, or edit the bot's comment that carries its marker; returns
    ``created`` or ``updated``."""
    marker = MARKER.format(run_id=job.run_id)
    for c in rest.comments(issue):
        if (c.get("user") or {}).get("login") == job.bot_login and marker in (c.get("body") or ""):
            rest.call("PATCH", f"/issues/comments/{int(c['id'])}", {"body": body})
            return "updated"
    rest.call("POST", f"/issues/{issue}/comments", {"body": body})
    return "created"


def unstick_label(rest: Rest, job: FailedJob, issue: int, event: tuple[str, Any], trigger: str) -> str:
    """In the loop lane: replace ``<prefix>running`` (or the trigger label of the labeled event that
    started this job) with ``<prefix>blocked``. Returns the label removed, or "" when none was."""
    data, _ = rest.call("GET", f"/issues/{issue}")
    labels = {x.get("name") for x in (data or {}).get("labels", []) if isinstance(x, dict)}
    name, payload = event
    started = name == "issues" and isinstance(payload, dict) and payload.get("action") == "labeled"
    stuck = next((x for x in (f"{job.label_prefix}running", trigger if started else None) if x in labels), "")
    if stuck:
        rest.call("POST", f"/issues/{issue}/labels", {"labels": [f"{job.label_prefix}blocked"]})
        rest.call("DELETE", f"/issues/{issue}/labels/{urllib.parse.quote(stuck, safe='')}")
    return stuck


def main(environ: Mapping[str, str], out: TextIO) -> int:
    """The step: find the event's issue (``WORKORDER_ISSUE``, else the payload, as the route step
    does), post or update the run's comment and, in the loop lane, unstick the state label. Returns
    0, also when there is nothing to say; 1 with a ``::warning::`` line when GitHub refused."""
    job, route = FailedJob.from_environ(environ), RouteSettings.from_environ(environ)
    if job.outcomes.get("WORKORDER_OUTCOME_HANDLE") == "failure" and job.handle_decision:
        out.write("workorder handle reported this failure itself\n")
        return 0
    try:
        payload = read_payload(route.event_path) if route.event_path else None
    except ValueError:
        payload = None
    routed = route_event(route.event_name, payload, route)
    issue_text = job.issue_input if job.issue_input.isdigit() else routed["issue"]
    lane = "loop" if job.issue_input.isdigit() else routed["lane"]
    if not issue_text or not job.token or not job.repository or not job.run_id:
        out.write("no work order issue (or no token) for this job: nothing to say on GitHub\n")
        return 0
    rest, issue = Rest(job.api_url, job.repository, job.token), int(issue_text)
    try:
        said = post_once(rest, job, issue, comment_body(job, lane))
        stuck = unstick_label(rest, job, issue, (route.event_name, payload), route.trigger) if lane == "loop" else ""
    except RestError as exc:
        out.write(f"::warning::could not report the failed job on issue #{issue}: {exc}\n")
        return 1
    out.write(f"comment {said} on issue #{issue}" + (f"; {stuck} → {job.label_prefix}blocked" if stuck else "") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ, sys.stdout))
