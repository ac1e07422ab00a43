"""The route step's 👀: acknowledge a command comment within seconds of its posting, before any
install and before the job that answers it waits in its lane's queue.

Like :mod:`workorder.handlers.route` (which calls it) it needs the standard library only: one
``POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions`` with ``{"content": "eyes"}``
through :mod:`urllib` (docs.github.com "Reactions": "Create reaction for an issue comment"; GitHub
answers 200 instead of 201 when the same user already reacted so, which makes the ``handle`` job's own
👀 (:mod:`workorder.handlers.acknowledge`) harmless). Best effort with a bounded timeout: a missing
token, a refusal or a network error is one ``::warning::`` line, never a failed route step.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from .command_table import acknowledged_verbs
from .slash import parse_commands

REACTION = "eyes"
TIMEOUT_S = 5


@dataclass(frozen=True)
class ReactionSettings:
    """What the reaction needs from the step's environment: ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``
    and the token (``WORKORDER_GITHUB_TOKEN``, the action's ``github-token`` input); empty when unset."""

    api_url: str
    repository: str
    token: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ReactionSettings:
        """The settings from ``environ`` (``os.environ`` in the route step's entry point)."""
        return cls(api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
                   repository=environ.get("GITHUB_REPOSITORY", ""), token=environ.get("WORKORDER_GITHUB_TOKEN", ""))


def comment_to_acknowledge(event_name: str, payload: Any, command_prefix: str) -> int | None:
    """The id of the ``issue_comment`` ``created`` event's comment when a person wrote it and one of
    its commands is acknowledged (:func:`workorder.handlers.command_table.acknowledged_verbs`), else
    None. Never raises."""
    if event_name != "issue_comment" or not isinstance(payload, dict) or payload.get("action") != "created":
        return None
    comment = payload.get("comment") if isinstance(payload.get("comment"), dict) else {}
    user = comment.get("user") if isinstance(comment.get("user"), dict) else {}
    body, cid = comment.get("body"), comment.get("id")
    if user.get("type") == "Bot" or not isinstance(body, str) or not isinstance(cid, int) or isinstance(cid, bool):
        return None
    verbs = {c.verb for c in parse_commands(body, command_prefix)}
    return cid if cid > 0 and verbs & acknowledged_verbs() else None


def add_reaction(settings: ReactionSettings, comment_id: int, out: TextIO) -> bool:
    """POST the 👀 reaction on comment ``comment_id``. Returns True when GitHub answered 200 or 201;
    False, quietly, without a token or repository (a workflow that gives the route step none: the
    handle job reacts instead); else writes one ``::warning::`` line to ``out`` and returns False.
    Never raises."""
    if not settings.token or not settings.repository:
        return False
    url = f"{settings.api_url}/repos/{settings.repository}/issues/comments/{comment_id}/reactions"
    request = urllib.request.Request(url, data=json.dumps({"content": REACTION}).encode(), method="POST", headers={
        "Authorization": f"Bearer {settings.token}", "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "workorder-route", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310 (the API URL)
            if answer.status in (200, 201):
                return True
            status = str(answer.status)
    except urllib.error.HTTPError as exc:
        status = str(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        status = f"no answer ({str(exc)[:100]})"
    out.write(f"::warning::no 👀 on the command: POST .../issues/comments/{comment_id}/reactions: {status}\n")
    return False


def acknowledge_event(event_name: str, payload: Any, command_prefix: str, environ: Mapping[str, str],
                      out: TextIO) -> bool:
    """Add the 👀 to the event's command comment when it has an acknowledged command. Returns True
    when a reaction was added. Never raises."""
    cid = comment_to_acknowledge(event_name, payload, command_prefix)
    return cid is not None and add_reaction(ReactionSettings.from_environ(environ), cid, out)
