"""What the fake GitHub adds to every answer, as GitHub does: ETags with 304 answers, and rate-limit headers.

Formats: docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
(a GET answer carries ``ETag``; the same GET with ``If-None-Match: <etag>`` answers ``304 Not Modified`` with
no body while the resource is unchanged, and a 304 does not count against the rate limit) and
docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api (``x-ratelimit-limit``,
``-remaining``, ``-used``, ``-reset`` as epoch seconds, ``-resource``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any


def etag_of(body: str) -> str:
    """A weak ETag of an answer's body (GitHub's are opaque; any digest of the body behaves the same)."""
    return 'W/"' + hashlib.sha1(body.encode()).hexdigest() + '"'


def finish(fake: Any, request: Any, answer: tuple[int, dict, str]) -> tuple[int, dict, str]:
    """``answer`` as GitHub would send it: a 200 GET with its ETag (304 with no body when the request's
    ``If-None-Match`` names it) and the rate limit's headers. Counts down ``fake.rate_remaining`` for
    every answer but a 304, and counts 304s in ``fake.not_modified``. An answer that sets its own
    ``x-ratelimit-remaining`` (an injected rate-limit fault) keeps its headers."""
    status, headers, body = answer
    headers = dict(headers)
    if request.method == "GET" and status == 200:
        tag = etag_of(body)
        headers["ETag"] = tag
        asked = {k.lower(): v for k, v in (getattr(request, "headers", None) or {}).items()}
        if asked.get("if-none-match") == tag:
            status, body = 304, ""
            headers.pop("Content-Type", None)
            fake.not_modified += 1
    if any(k.lower() == "x-ratelimit-remaining" for k in headers):
        return status, headers, body
    if fake.rate_reset is None:
        fake.rate_reset = int(time.time()) + 3600
    if fake.rate_remaining is None:
        fake.rate_remaining = fake.rate_limit
    if status != 304:
        fake.rate_remaining = max(0, fake.rate_remaining - 1)
    headers.update({"x-ratelimit-limit": str(fake.rate_limit), "x-ratelimit-remaining": str(fake.rate_remaining),
                    "x-ratelimit-used": str(fake.rate_limit - fake.rate_remaining),
                    "x-ratelimit-reset": str(fake.rate_reset), "x-ratelimit-resource": "core"})
    return status, headers, body
