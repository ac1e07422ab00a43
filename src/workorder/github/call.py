"""One GitHub request under the retry policy: how a failure is classified, and the retry loop.

Failures are classified as GitHub documents them
(docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api and
docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api): 5xx and no answer are
``server``, 429 and rate-limit 403s are ``rate_limit``, anything else is ``permanent`` (a refusal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests
from github import GithubException

from ..contracts.forge import ForgeError

if TYPE_CHECKING:
    from .retry import WorkorderRetry


def failure_kind(status: int | None, headers: dict[str, str] | None, message: str) -> str:
    """``rate_limit``, ``server`` (5xx or no answer) or ``permanent`` for an HTTP ``status`` with its
    ``headers`` and GitHub's error ``message``."""
    h = {k.lower(): str(v) for k, v in (headers or {}).items()}
    if status is None or status >= 500:
        return "server"
    if status == 429:
        return "rate_limit"
    if status == 403 and ("retry-after" in h or h.get("x-ratelimit-remaining") == "0" or "rate limit" in message.lower()):
        return "rate_limit"
    return "permanent"


def github_message(exc: GithubException) -> str:
    """The ``message`` of GitHub's JSON error body carried by ``exc`` ("" when there is none)."""
    return str(exc.data.get("message") or "") if isinstance(exc.data, dict) else ""


def refusal(exc: GithubException, what: str, transient: bool = False) -> ForgeError:
    """The :class:`ForgeError` for GitHub's answer ``exc`` to the request ``what`` (its status, message
    and ``transient`` flag)."""
    return ForgeError(f"GitHub refused {what}: {exc.status} {github_message(exc)}".strip(), status=exc.status,
                      transient=transient, call=what)


def call(retry: WorkorderRetry, what: str, fn: Callable[[], Any], lookup: Callable[[], Any] | None = None) -> Any:
    """Run the request(s) of ``fn`` and return its result, retrying transient failures as ``retry`` allows.

    ``what`` names the request in errors (e.g. ``posting a review on #7``). ``lookup`` is for creates:
    after a 5xx (GitHub may have applied the create) it is asked first, and what it finds (not None)
    is returned instead of creating again. Raises :class:`ForgeError` when GitHub refuses
    (``transient`` False) or when the tries or the run's wait budget run out (``transient`` True: a
    re-run may succeed).
    """
    attempt = 0
    while True:
        try:
            return fn()
        except GithubException as exc:
            kind = failure_kind(exc.status, exc.headers, github_message(exc))
            error = refusal(exc, what, transient=kind != "permanent")
            headers = dict(exc.headers or {})
        except requests.RequestException as exc:  # no answer: connection reset, timeout
            kind, headers = "server", {}
            error = ForgeError(f"GitHub did not answer {what}: {type(exc).__name__}", transient=True, call=what)
        if kind == "permanent":
            raise error from None
        if kind == "server" and lookup is not None:
            found = call(retry, f"{what} (looking it up after a failed answer)", lookup)
            if found is not None:
                return found
        if attempt + 1 >= retry.attempts or not retry.pause(retry.wait_s(kind, headers, attempt)):
            raise error from None
        attempt += 1
