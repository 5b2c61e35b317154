"""The client-side request budget: wait for a turn before each attempt, adapt to the server.

A rolling-window log (pyrate-limiter's default ``SlidingWindowLog``) mirrors the API's rule --
``limit`` requests per rolling ``window`` -- so a fresh budget allows a burst of ``limit`` and a
long job settles at exactly the sustainable rate without ever provoking a 429. The server counts
a request when it arrives, somewhere between the client's send and its receipt of the answer, so
each log entry is taken at send time (to decide) and moved to the answer's arrival once it
is known: the client then never frees a slot before the server does, however slow the network or
the machine. A small safety margin on the window absorbs the server's own bookkeeping (it may
bucket requests) and clock granularity.

The bucket is driven directly (``put_decision``) rather than through pyrate-limiter's
``Limiter``: the Limiter's blocking loop advances an item's timestamp by the sleep it planned
instead of reading the clock again, and hides the item, which ``settle`` needs to move.

Adapting to the server (other machines may use the same key):

* each answer's ``X-RateLimit-Remaining`` is compared with what the shared log believes is left;
  when the server has counted more, placeholders are logged that expire when the server says a
  request is free again (``X-RateLimit-Reset``), so the budget tightens to the server's view;
* a 429 pauses every process sharing the file until its ``Retry-After``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping

from pyrate_limiter import Rate, RateItem

from ._secrets import install_filter
from ._state_file import StateFile

logger = logging.getLogger(__name__)
install_filter(__name__)

#: Extra milliseconds slept after the computed wait, as pyrate-limiter's own Limiter does.
_BUFFER_MS = 5
#: Waits at least this long are logged at INFO, so a stalled-looking job explains itself.
_LOUD_WAIT_MS = 5000
#: Leak expired rows from the log every this many turns, to keep the file small.
_LEAK_EVERY = 64


def safety_margin_ms(window_seconds: float) -> int:
    """How much longer than the server's window the client counts: 1 %, at least 20 ms."""
    return max(20, int(window_seconds * 10))


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


class Throttle:
    """A shared budget of ``limit`` requests per rolling ``window_seconds`` for one key and URL."""

    def __init__(self, state: StateFile, limit: int) -> None:
        self._state = state
        self._limit = limit
        self._interval_ms = state.bucket.rates[0].interval
        self._turns = 0

    @staticmethod
    def rate(limit: int, window_seconds: float) -> Rate:
        """The pyrate-limiter rate for ``limit`` per ``window_seconds`` plus the safety margin."""
        if limit < 1 or window_seconds <= 0:
            raise ValueError("the request budget needs limit >= 1 and a window > 0")
        return Rate(limit, int(window_seconds * 1000) + safety_margin_ms(window_seconds))

    def wait_turn(self) -> tuple[str, float]:
        """Block until this process may send one request.

        Returns the turn's token (for ``settle``) and the seconds spent waiting.
        """
        started = time.monotonic()
        token = uuid.uuid4().hex
        bucket = self._state.bucket
        while True:
            now = self._state.now_ms()
            paused_until = self._state.pause_until_ms()
            if paused_until > now:
                logger.debug("budget paused %.3f s by a 429", (paused_until - now) / 1000)
                time.sleep((paused_until - now) / 1000)
                continue
            item = RateItem(token, now)
            # Held across put and decision: the bucket records the verdict on itself, and
            # another thread's put must not overwrite it in between.
            with self._state.lock:
                decision = bucket.put_decision(item)
            if decision.allowed:
                break
            wait_ms = decision.retry_after_ms if decision.retry_after_ms is not None else 100
            if wait_ms >= _LOUD_WAIT_MS:
                logger.info("request budget spent; waiting %.1f s for a turn", wait_ms / 1000)
            time.sleep((max(0, wait_ms) + _BUFFER_MS) / 1000)
        self._turns += 1
        if self._turns % _LEAK_EVERY == 0:
            bucket.leak(self._state.now_ms())
        return token, time.monotonic() - started

    def settle(self, token: str) -> None:
        """The attempt of ``token`` is over: count it from now, when the server surely has."""
        self._state.restamp(token, self._state.now_ms())

    def observe(self, headers: Mapping[str, str]) -> None:
        """Tighten the shared log when the server has counted more requests than it holds.

        The server's count is its own limit minus what it says remains; comparing that with the
        log (not with this client's limit, which may be set higher or lower than the server's)
        keeps two clients of one key with different settings from inflating each other's log.
        A server that says nothing remains pauses everyone until it frees a request, so even a
        budget configured above the server's limit does not run into a 429.
        """
        remaining = _header_int(headers, "X-RateLimit-Remaining")
        reset = _header_int(headers, "X-RateLimit-Reset")
        if remaining is None or reset is None or reset <= 0:
            return
        if remaining == 0:
            self.pause(reset)
        server_limit = _header_int(headers, "X-RateLimit-Limit") or self._limit
        now = self._state.now_ms()
        with self._state.lock:
            logged = self._state.count_since(now - self._interval_ms)
            deficit = min(server_limit - remaining, self._limit) - logged
            if deficit > 0:
                # Placeholders age out of the window exactly when the server frees a request.
                self._state.log_placeholders(deficit, now + reset * 1000 - self._interval_ms)
        if deficit > 0:
            logger.debug("server counted %d requests more than this machine; tightened", deficit)

    def pause(self, seconds: float) -> None:
        """Stop every process sharing this budget from sending for ``seconds`` (after a 429)."""
        self._state.extend_pause(self._state.now_ms() + int(seconds * 1000))
