"""Conditional GETs: the run remembers each read's ``ETag`` and asks again with ``If-None-Match``.

GitHub answers ``304 Not Modified`` (no body) while the resource is unchanged, and a 304 does not count
against the primary rate limit (docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
The cache lives as long as the forge, so one run: a second read of an unchanged issue, list or pull request
costs no rate-limited request. It holds only what GitHub answered to this run's token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_ENTRIES = 512  # reads remembered per run; the oldest is forgotten first


@dataclass
class EtagCache:
    """ETag and answer of each GET of this run, by URL and parameters; counts ``requests`` (conditional
    GETs sent) and ``not_modified`` (of them, the ones GitHub answered 304)."""

    entries: dict[str, tuple[str, dict, Any]] = field(default_factory=dict)
    requests: int = 0
    not_modified: int = 0

    @staticmethod
    def key(url: str, parameters: dict[str, Any] | None) -> str:
        """The cache key of a GET: its URL and its parameters, sorted."""
        return url + "?" + "&".join(f"{k}={v}" for k, v in sorted((parameters or {}).items()))

    def get(self, requester: Any, url: str, parameters: dict[str, Any] | None = None) -> tuple[dict, Any]:
        """``(headers, data)`` of ``GET url`` through PyGithub's ``requester``, sent with ``If-None-Match``
        when this run read it before; a 304 returns the remembered answer. Raises GithubException as
        ``requester.requestJsonAndCheck`` does (404 as UnknownObjectException)."""
        key = self.key(url, parameters)
        known = self.entries.get(key)
        headers = {"If-None-Match": known[0]} if known else None
        self.requests += 1
        answer_headers, data = requester.requestJsonAndCheck("GET", url, parameters=parameters, headers=headers)
        if known is not None and data is None:  # 304 Not Modified: no body
            self.not_modified += 1
            return known[1], known[2]
        tag = answer_headers.get("etag") or answer_headers.get("ETag")
        if tag:
            self.entries.pop(key, None)
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.pop(next(iter(self.entries)))
            self.entries[key] = (tag, answer_headers, data)
        return answer_headers, data
