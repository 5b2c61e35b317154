"""Per-key rolling-window rate limit, with the numbers for the X-RateLimit-* headers.

Admitted requests are kept in at most ~1000 buckets per key (each covering 1/1000 of
the window), so memory stays small even with a huge limit. A bucket leaves the window
when its *newest* request does, which never admits more than ``limit`` requests in any
window of ``window`` seconds.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

from ossit_sandbox.bounded import LruDict


@dataclass(frozen=True)
class Decision:
    """The outcome of one request against the limit."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The X-RateLimit-* headers (and Retry-After when refused)."""
        headers = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(max(self.reset, 1)).encode()))
        return headers


class _Window:
    __slots__ = ("buckets", "count")

    def __init__(self) -> None:
        self.buckets: deque[list[float]] = deque()  # [newest time, count]
        self.count = 0


class RateLimiter:
    """``limit`` requests per rolling ``window`` seconds, per key."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._granularity = window / 1000
        # Capped (see :mod:`ossit_sandbox.bounded`): random keys cannot grow it without end.
        self._keys: LruDict[str, _Window] = LruDict()

    def hit(self, key: str, now: float | None = None) -> Decision:
        """Count one request of ``key`` if the window has room."""
        now = time.monotonic() if now is None else now
        win = self._keys.get_or_create(key, _Window)
        while win.buckets and win.buckets[0][0] + self.window <= now:
            win.count -= int(win.buckets.popleft()[1])
        allowed = win.count < self.limit
        if allowed:
            last = win.buckets[-1] if win.buckets else None
            if last is not None and now - last[0] < self._granularity:
                last[0] = now
                last[1] += 1
            else:
                win.buckets.append([now, 1])
            win.count += 1
        reset = math.ceil(win.buckets[0][0] + self.window - now - 1e-6) if win.buckets else 0
        return Decision(allowed, self.limit, self.limit - win.count, max(reset, 0))

    def reset_key(self, key: str) -> None:
        """Forget a key's window (used by /_sandbox/stats/reset)."""
        self._keys.pop(key)
