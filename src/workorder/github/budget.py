"""The run's request budget: slow down before GitHub's primary rate limit instead of running into it.

Every REST answer says how many requests the token has left this hour (``x-ratelimit-remaining``) and
when the window resets (``x-ratelimit-reset``, epoch seconds)
(docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api). A repository's
``GITHUB_TOKEN`` has 1,000 requests an hour, a GitHub App installation 5,000 (up to 12,500 on large
organisations), shared by every job that uses the token. While more than ``reserve`` are left a
request goes at once; below that, each request waits its share of the time left until the reset
(``seconds to reset / requests left``), so the run slows down and the token never reaches 0 because of
it. Waits go through the retry policy's ``sleep`` and ``clock`` (tests inject both and never wait).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_RESERVE = 100  # requests left to the token's other users before a run starts pacing itself
MAX_PACE_WAIT_S = 3600.0  # at most one rate-limit window of waiting per run; after it, requests go at once


@dataclass
class RequestBudget:
    """Paces one run's requests by the last rate-limit headers seen.

    ``reserve``: below this many requests left, pace; ``max_wait_s``: the run's pacing waits in all
    (after that, requests go at once and a 403/429 is the retry policy's); ``waited_s``: waited so far.
    """

    reserve: int = DEFAULT_RESERVE
    max_wait_s: float = MAX_PACE_WAIT_S
    waited_s: float = 0.0

    def wait_s(self, remaining: int, reset_epoch: float, now: float) -> float:
        """Seconds to wait before the next request when ``remaining`` requests are left until
        ``reset_epoch`` and it is ``now`` (epoch seconds): 0 above the reserve or when unknown
        (``remaining`` < 0), else the time to the reset shared by the requests left (all of it at 0)."""
        if remaining < 0 or remaining > self.reserve:
            return 0.0
        left = max(0.0, reset_epoch - now)
        if left == 0.0:
            return 0.0  # the window has reset: the next answer brings the new count
        if remaining == 0:
            return left + 1.0  # nothing left: wait for the reset (GitHub's advice), a second past it
        return left / remaining

    def pace(self, remaining: int, reset_epoch: float, clock: Callable[[], float],
             sleep: Callable[[float], None]) -> float:
        """Wait (through ``sleep``) what :meth:`wait_s` asks, within the run's ``max_wait_s``; returns the
        seconds waited."""
        seconds = min(self.wait_s(remaining, reset_epoch, clock()), max(0.0, self.max_wait_s - self.waited_s))
        if seconds > 0:
            sleep(seconds)
            self.waited_s += seconds
        return seconds
