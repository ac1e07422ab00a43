"""How every GitHub request is retried: :class:`WorkorderRetry`, bounded by the run's budget.

:data:`default_sleep` is what :class:`WorkorderRetry` sleeps with, and what tests replace
(``workorder.github.retry.default_sleep``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SECONDARY_LIMIT_WAIT_S", "WorkorderRetry", "default_sleep"]


SECONDARY_LIMIT_WAIT_S = 60.0  # GitHub: without retry-after, wait at least a minute after a secondary limit


def default_sleep(seconds: float) -> None:
    """Sleep ``seconds`` (the retry policy's default; tests replace it so they never wait)."""
    time.sleep(seconds)


@dataclass
class WorkorderRetry:
    """How every GitHub request is retried, bounded by the run's budget.

    Transient answers are retried for every method: 5xx and connection errors with exponential
    backoff (``backoff_s`` · 2^attempt seconds), 429 and rate-limit 403s (primary: ``x-ratelimit-remaining: 0``
    until ``x-ratelimit-reset``, an epoch in seconds; secondary: ``retry-after`` seconds, else one minute)
    as GitHub asks (docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
    At most ``attempts`` tries per request, and all waits of the run together stay within
    ``max_wait_s`` seconds: a wait that would go over raises instead of sleeping. A create that failed
    with 5xx may have been applied, so the forge looks the object up before it creates it again.
    ``sleep`` (seconds → None) and ``clock`` (epoch seconds) are injectable so tests never wait.
    """

    max_wait_s: float = 300.0
    sleep: Callable[[float], None] | None = None
    attempts: int = 5
    backoff_s: float = 1.0
    clock: Callable[[], float] = time.time
    waited_s: float = 0.0

    def wait_s(self, kind: str, headers: dict[str, str], attempt: int) -> float:
        """Seconds to wait before try ``attempt`` + 1 after a ``kind`` (rate_limit | server) failure."""
        h = {k.lower(): str(v) for k, v in (headers or {}).items()}
        after = h.get("retry-after", "").strip()
        if after.isdigit():
            return float(after)
        if kind == "rate_limit" and h.get("x-ratelimit-remaining") == "0" and h.get("x-ratelimit-reset", "").isdigit():
            return max(0.0, float(h["x-ratelimit-reset"]) - self.clock()) + 1.0
        if kind == "rate_limit":
            return SECONDARY_LIMIT_WAIT_S
        return self.backoff_s * (2 ** attempt)

    def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` if the run's budget allows it (True), else do not sleep (False)."""
        if self.waited_s + seconds > self.max_wait_s:
            return False
        (self.sleep or default_sleep)(seconds)
        self.waited_s += seconds
        return True
