"""Per-key rolling-window rate limit, with the numbers for the X-RateLimit-* headers.

Admitted requests are kept in at most ~1000 buckets per key (each covering 1/1000 of
the window), so memory stays small even with a huge limit. A bucket leaves the window
when its *newest* request does, which never admits more than ``limit`` requests in any
window of ``window`` seconds.

A window is never forgotten while it holds a request: forgetting it would hand its key a
fresh limit. Once LRU-capped, a flood of random keys could evict a real domain's window and
so lift its limit; now only live domains' keys get a window (the middleware checks) and
only empty windows are dropped, so the table is bounded by the domains active within one
window, which no caller can grow without creating domains.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

# Windows held before the first look for empty ones; each look doubles it past what stays.
FIRST_SWEEP = 10_000


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

    def expire(self, now: float, window: float) -> None:
        """Drop the buckets whose newest request has left the window."""
        while self.buckets and self.buckets[0][0] + window <= now:
            self.count -= int(self.buckets.popleft()[1])


class RateLimiter:
    """``limit`` requests per rolling ``window`` seconds, per key."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._granularity = window / 1000
        self._windows: dict[str, _Window] = {}
        self._sweep_at = FIRST_SWEEP

    def hit(self, key: str, now: float | None = None) -> Decision:
        """Count one request of ``key`` if the window has room (the caller has checked that
        ``key`` opens a live domain)."""
        now = time.monotonic() if now is None else now
        win = self._windows.get(key)
        if win is None:
            if len(self._windows) >= self._sweep_at:
                self._drop_empty(now)
            win = self._windows[key] = _Window()
        win.expire(now, self.window)
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
        self._windows.pop(key, None)

    def _drop_empty(self, now: float) -> None:
        """Forget the windows no request is left in: a fresh window is the same thing.

        Run when a new key finds the table at its sweep size, which then doubles past what
        stays, so the cost per new key is constant however many windows are live.
        """
        for key, win in list(self._windows.items()):
            win.expire(now, self.window)
            if not win.buckets:
                del self._windows[key]
        self._sweep_at = max(FIRST_SWEEP, 2 * len(self._windows))
