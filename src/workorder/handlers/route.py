"""Which work order issue an event belongs to, and its lane, from the event payload alone: no API
call, no checkout, no third-party import.

The example workflow's ``route`` job uses the two values for the concurrency group of the job that
runs workorder, so runs for one issue never overlap, whether the event came from the issue or its
pull request, while ``now`` commands (help, status, approve, abort) do not wait behind a running
loop. A fork's pull request (head repository id != base repository id) routes to no issue, so
nothing is checked out for it.

This module and what it imports (:mod:`workorder.handlers.slash`, :mod:`workorder.inputs.bounded_int`) need the
standard library only (Python 3.9+), so the action's ``route`` mode runs it with the runner's own
``python3`` straight from the action's folder, before (and instead of) any install::

    cd "$GITHUB_ACTION_PATH/src" && python3 -E -s -m workorder.handlers.route

Being stdlib-only, its two error lines are plain strings rather than Jinja2 templates. The three
config values it needs (trigger label, branch prefix, command prefix) come from the step's
environment (the action's ``trigger-label``, ``branch-prefix`` and ``command-prefix`` inputs);
``workorder doctor`` checks that they agree with ``.github/workorder.yml``. ``workorder route`` (the
CLI) reads them from the config instead.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from ..inputs.bounded_int import MAX_ISSUE_NUMBER, parse_bounded_int
from .slash import ParsedCommand, parse_commands

# the commands that wait for the issue's running loop; every other verb (and help for unknown verbs) is "now"
LOOP_VERBS = frozenset({"start", "fix", "retry", "answer", "unlock", "override-scope"})
# written into every work order pull request's body by templates/pull_request.md.j2
ISSUE_MARKER = re.compile(r"<!-- workorder:issue ([0-9]+) -->")
# GitHub caps a webhook payload at 25 MB
MAX_PAYLOAD_BYTES = 25 * 1024 * 1024
EXIT_USAGE = 2


class RouteKeys(Protocol):
    """The config values routing needs (:class:`workorder.contracts.config.RepoConfig` has them): the
    ``trigger`` label that starts a work order, the work ``branch_prefix`` and the ``command_prefix``."""

    @property
    def trigger(self) -> str: ...

    @property
    def branch_prefix(self) -> str: ...

    @property
    def command_prefix(self) -> str: ...


def lane_of(commands: list[ParsedCommand]) -> str:
    """``loop`` when any of ``commands`` waits for the issue's running loop (a verb in
    :data:`LOOP_VERBS`), else ``now`` (help, status, approve, abort; unknown verbs get help)."""
    return "loop" if any(c.verb in LOOP_VERBS for c in commands) else "now"


def is_fork(pull_request: Any) -> bool:
    """Whether a pull request's head lives in another repository than its base, from the payload's
    ``pull_request`` object (a dict as GitHub sends it).

    True when ``head.repo.id`` differs from ``base.repo.id``, and when GitHub sent ``head.repo`` as
    null (the fork was deleted) or without an id: fail closed. False only when both ids are equal,
    or when the payload has no ``head.repo`` at all (never the case for GitHub's own payloads).
    """
    if not isinstance(pull_request, dict):
        return False
    head = pull_request.get("head") if isinstance(pull_request.get("head"), dict) else {}
    base = pull_request.get("base") if isinstance(pull_request.get("base"), dict) else {}
    if "repo" not in head:
        return False
    head_repo, base_repo = head.get("repo"), base.get("repo")
    head_id = head_repo.get("id") if isinstance(head_repo, dict) else None
    base_id = base_repo.get("id") if isinstance(base_repo, dict) else None
    return head_id is None or head_id != base_id


def issue_of_pull_request(head_ref: str | None, body: str | None, branch_prefix: str) -> int | None:
    """The work order issue a pull request belongs to: from its head branch ``<prefix><n>-…`` or,
    when only the body is known (``issue_comment`` payloads), from the hidden marker the action puts in
    the PR body. None when neither names an issue number from 1 to ``MAX_ISSUE_NUMBER`` (the PR
    author writes both, so anything else is not ours). The caller must still check the issue's
    hidden state names this PR. Never raises."""
    if head_ref and head_ref.startswith(branch_prefix):
        match = re.match(r"([0-9]+)-", head_ref[len(branch_prefix):])
        return (parse_bounded_int(match.group(1), MAX_ISSUE_NUMBER) or None) if match else None
    match = ISSUE_MARKER.search(body or "")
    return (parse_bounded_int(match.group(1), MAX_ISSUE_NUMBER) or None) if match else None


def _mapping(parent: dict, key: str) -> dict:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def route_event(event_name: str, payload: Any, keys: RouteKeys) -> dict[str, str]:
    """Returns ``{"issue": "<number>" or "", "lane": "loop" | "now"}`` for an event payload (any
    JSON value; a malformed one routes nowhere). Never raises."""
    if not isinstance(payload, dict):
        return {"issue": "", "lane": "now"}
    issue, pr = _mapping(payload, "issue"), _mapping(payload, "pull_request")
    number: Any = None
    lane = "now"
    if event_name == "issues":
        number = issue.get("number")
        starts = payload.get("action") == "labeled" and _mapping(payload, "label").get("name") == keys.trigger
        lane = "loop" if starts or payload.get("action") == "closed" else "now"
    elif event_name == "issue_comment":
        body = issue.get("body") if isinstance(issue.get("body"), str) else None
        number = issue_of_pull_request(None, body, keys.branch_prefix) if issue.get("pull_request") else issue.get("number")
        comment = _mapping(payload, "comment").get("body")
        lane = lane_of(parse_commands(comment if isinstance(comment, str) else "", keys.command_prefix))
    elif event_name in ("pull_request", "pull_request_target", "pull_request_review"):
        ref = _mapping(pr, "head").get("ref")
        # a fork's pull request routes nowhere: the job that checks out and runs never starts
        number = None if is_fork(pr) else issue_of_pull_request(ref if isinstance(ref, str) else None, None,
                                                                keys.branch_prefix)
        lane = "loop"
    valid = isinstance(number, int) and not isinstance(number, bool) and 0 < number <= MAX_ISSUE_NUMBER
    return {"issue": str(number) if valid else "", "lane": lane}


def output_lines(routed: Mapping[str, str]) -> str:
    """``routed`` as ``name=value`` lines, the ``$GITHUB_OUTPUT`` file format for one-line values
    (docs.github.com: "Setting an output parameter")."""
    return "".join(f"{name}={value}\n" for name, value in routed.items())


@dataclass(frozen=True)
class RouteSettings:
    """What ``python3 -m workorder.handlers.route`` reads from its environment, once: the event
    (``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH``), the ``GITHUB_OUTPUT`` file, and the three config
    values (``WORKORDER_TRIGGER_LABEL``, ``WORKORDER_BRANCH_PREFIX``, ``WORKORDER_COMMAND_PREFIX``;
    empty means the config default: ``wo:ready``, ``wo/``, ``/wo``)."""

    event_name: str
    event_path: str
    output_path: str
    trigger: str
    branch_prefix: str
    command_prefix: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RouteSettings:
        """The settings from ``environ`` (``os.environ`` in the entry point)."""
        return cls(event_name=environ.get("GITHUB_EVENT_NAME", ""), event_path=environ.get("GITHUB_EVENT_PATH", ""),
                   output_path=environ.get("GITHUB_OUTPUT", ""),
                   trigger=environ.get("WORKORDER_TRIGGER_LABEL") or "wo:ready",
                   branch_prefix=environ.get("WORKORDER_BRANCH_PREFIX") or "wo/",
                   command_prefix=environ.get("WORKORDER_COMMAND_PREFIX") or "/wo")


def read_payload(path: str) -> Any:
    """The JSON event payload at ``path``. Raises ``ValueError`` saying why it cannot be read (missing,
    over ``MAX_PAYLOAD_BYTES``, not UTF-8 JSON, nested too deep, a number too long for Python)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PAYLOAD_BYTES + 1)
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"over {MAX_PAYLOAD_BYTES} bytes")
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("nested too deep") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int digit limit
        raise ValueError(str(exc)[:200]) from None


def main(environ: Mapping[str, str], out: TextIO) -> int:
    """The action's ``route`` step: print the event's ``issue`` and ``lane`` and append them to
    ``$GITHUB_OUTPUT``. Returns 0, or 2 (a workflow ``::error::`` line on ``out``) when there is no
    event or its payload cannot be read."""
    settings = RouteSettings.from_environ(environ)
    if not settings.event_name or not settings.event_path:
        out.write("::error::no event: set GITHUB_EVENT_NAME and GITHUB_EVENT_PATH (GitHub Actions sets both)\n")
        return EXIT_USAGE
    try:
        payload = read_payload(settings.event_path)
    except ValueError as exc:
        out.write(f"::error::cannot read the event payload {settings.event_path}: {exc}\n")
        return EXIT_USAGE
    text = output_lines(route_event(settings.event_name, payload, settings))
    out.write(text)
    if settings.output_path:
        with open(settings.output_path, "a", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ, sys.stdout))
