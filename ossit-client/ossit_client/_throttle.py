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
* a 429 pauses every process sharing the file until its ``Retry-After``;
* the latest answer's count is kept (``ServerCount``), for a store that lost its log (a Redis
  flushed or restarted) to rebuild from what the server says rather than from nothing.

The log, the pause and the gone endpoints live in a ``BudgetStore``: the machine's budget file
(``_state_file``) or a Redis shared by machines (``_redis_budget``); both give the same answers,
each on its own clock (``now_ms``), so this module never reads the machine's clock for them.

Nothing a header says may stall the budget for longer than one rate window: a server (or a
proxy) answering ``Retry-After: 999999`` or ``X-RateLimit-Reset: 1e12`` would otherwise write a
pause of days into the shared file, and every later process on the key would sleep silently.
So every pause and placeholder derived from a header is capped at the window, values that are
no number of seconds (``inf``, ``nan``, negative, garbage) are ignored, and a pause or log
entry found beyond the window (written by an older client) is cut back to it.

Nor may a pause outlast what a call is willing to wait (``max_pause``, the client's
``max_retry_wait``), as for a 429's ``Retry-After``: a pause the server asks for beyond it is
not written to the shared file (the next run, the server well again, must not inherit it) but
kept by this process only, and a turn that would wait for a pause beyond it -- this process's
or another's -- raises ``PauseRefused`` at once instead of sleeping for up to a window.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Mapping

from pyrate_limiter import Rate, RateItem

from ._budget_store import BudgetStore
from ._server_count import ServerCount
from ._waits import log_wait, until_text

logger = logging.getLogger(__name__)


class PauseRefused(Exception):
    """A turn would wait for a pause longer than ``max_pause``; the caller fails the call."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"paused for {seconds:.1f} s more")
        self.seconds = seconds


#: Extra milliseconds slept after the computed wait, as pyrate-limiter's own Limiter does.
_BUFFER_MS = 5
#: Budget waits longer than this are logged at INFO, so a stalled-looking job explains itself.
_LOUD_BUDGET_WAIT_S = 5.0
#: Leak expired rows from the log every this many turns, to keep the file small.
_LEAK_EVERY = 64


def safety_margin_ms(window_seconds: float) -> int:
    """How much longer than the server's window the client counts: 1 %, at least 20 ms."""
    return max(20, int(window_seconds * 10))


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A header's non-negative, finite number, or None (absent, ``inf``, ``nan``, garbage)."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


class Throttle:
    """A shared budget of ``limit`` requests per rolling ``window_seconds`` for one key and URL."""

    def __init__(
        self,
        state: BudgetStore,
        limit: int,
        window_seconds: float | None = None,
        max_pause: float = math.inf,
    ) -> None:
        self._state = state
        self._limit = limit
        self._interval_ms = state.interval_ms
        #: The longest pause or placeholder lifetime any header may cause (one window).
        self._window_ms = (
            int(window_seconds * 1000) if window_seconds is not None else self._interval_ms
        )
        self._turns = 0
        #: The longest pause a turn waits for, in seconds (the caller's ``max_retry_wait``).
        self._max_pause = max_pause
        #: The end (epoch ms) of a pause the server asked for but this process did not share.
        self._own_pause_until_ms = 0
        #: The server's count at the latest answer: what a store that lost its log rebuilds
        #: from (a Redis flushed or restarted), rather than counting a whole window as spent.
        self._last_seen: ServerCount | None = None

    @staticmethod
    def rate(limit: int, window_seconds: float) -> Rate:
        """The pyrate-limiter rate for ``limit`` per ``window_seconds`` plus the safety margin."""
        if limit < 1 or not 0 < window_seconds < math.inf:
            raise ValueError("the request budget needs limit >= 1 and a finite window > 0")
        return Rate(limit, int(window_seconds * 1000) + safety_margin_ms(window_seconds))

    def wait_turn(self) -> tuple[str, float]:
        """Block until this process may send one request.

        Returns the turn's token (for ``settle``) and the seconds spent waiting; raises
        ``PauseRefused`` rather than wait for a pause longer than ``max_pause``.
        """
        started = time.monotonic()
        token = uuid.uuid4().hex
        capped = False
        while True:
            now = self._state.now_ms()
            paused_until = self._state.pause_until_ms()
            if paused_until - now > self._window_ms:
                self._state.cap_pause(now + self._window_ms)
                continue
            paused_until = max(paused_until, self._own_pause_until_ms)
            if paused_until > now:
                seconds = (paused_until - now) / 1000
                if seconds > self._max_pause:
                    raise PauseRefused(seconds)
                log_wait(logger, seconds, "the shared budget is paused (server's request)")
                time.sleep(seconds)
                continue
            decision = self._state.decide(RateItem(token, now), self._last_seen)
            if decision.allowed:
                break
            wait_ms = decision.retry_after_ms if decision.retry_after_ms is not None else 100
            if wait_ms > self._interval_ms and not capped:
                # Only rows stamped in the future can hold a turn back longer than a window.
                self._state.cap_timestamps(now)
                capped = True
                continue
            wait_ms = min(wait_ms, self._interval_ms)
            log_wait(
                logger,
                wait_ms / 1000,
                "the request budget is spent",
                loud_above=_LOUD_BUDGET_WAIT_S,
            )
            time.sleep((max(0, wait_ms) + _BUFFER_MS) / 1000)
        self._turns += 1
        if self._turns % _LEAK_EVERY == 0:
            self._state.leak()
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
        budget configured above the server's limit does not run into a 429. ``Reset`` counts
        for at most one window; a pause longer than ``max_pause`` is shared neither as a pause
        nor as placeholders (see ``pause``).
        """
        remaining = header_number(headers, "X-RateLimit-Remaining")
        reset = header_number(headers, "X-RateLimit-Reset")
        if remaining is None or reset is None:
            return
        reset_ms = min(int(reset * 1000), self._window_ms)
        server_limit = header_number(headers, "X-RateLimit-Limit") or self._limit
        counted = int(max(min(server_limit - remaining, self._limit), 0))
        now = self._state.now_ms()
        self._last_seen = ServerCount(counted, now + reset_ms, now)
        if reset <= 0:
            return
        if remaining == 0 and not self.pause(reset_ms / 1000):
            return  # a pause no call would wait for: its placeholders are not shared either
        # Placeholders age out of the window exactly when the server frees a request.
        deficit = self._state.top_up(
            counted, now - self._interval_ms, now + reset_ms - self._interval_ms
        )
        if deficit > 0:
            logger.debug("server counted %d requests more than this machine; tightened", deficit)

    def pause(self, seconds: float) -> bool:
        """Stop every process sharing this budget from sending for ``seconds`` (at most a window).

        For a 429's ``Retry-After`` or a ``Remaining: 0``. Only a wait someone will make is
        written to the shared file: a pause beyond ``max_pause`` is kept by this process alone,
        whose next turn then fails at once (``PauseRefused``). Returns whether it was shared.
        """
        pause_ms = min(int(max(seconds, 0.0) * 1000), self._window_ms)
        until_ms = self._state.now_ms() + pause_ms
        if pause_ms > self._max_pause * 1000:
            self._own_pause_until_ms = max(self._own_pause_until_ms, until_ms)
            logger.info(
                "the server asks for no request during %.1f s, more than max_retry_wait "
                "(%.1f s): not shared, and calls fail until %s",
                pause_ms / 1000,
                self._max_pause,
                until_text(pause_ms / 1000),
            )
            return False
        self._state.extend_pause(until_ms)
        return True
