"""The request budget: ``limit`` requests per rolling window, shared by every process using
the same store -- this machine's file (``_budget_file``) or a Redis (``_budget_redis``) -- which
runs each change of its ``Ledger`` atomically on its own clock. Every rule is a pure change
of a ledger, so one table of cases tests both stores.

* **The window.** A turn is granted while fewer than ``limit`` requests count in the window
  ending now (counted 1 %, at least 20 ms, longer than the server's). The server counts a
  request on arrival, so it is logged when sent and moved to its answer's arrival
  (``settle``): no slot is freed before the server frees it.
* **The server's view.** Requests the server counts beyond the log (other machines on the
  key) are logged as placeholders leaving when it says (``Reset``); ``Remaining: 0`` and a
  429 pause every process.
* **Bounded waits.** No header makes anyone wait longer than a window; a pause longer than
  ``max_pause`` is kept by this process only (the next run must not inherit it), whose
  turns then fail at once (``PauseRefused``).
* **A lost store** (Redis flushed, file deleted) is noticed by its generation and rebuilt
  from the API's last count, else counted as spent -- never taken for an empty window.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, TypeVar

from ._masking import masked_logger
from ._waits import log_wait, until_text

logger = masked_logger(__name__)

T = TypeVar("T")


@dataclass
class Ledger:
    """A budget's whole shared state; instants are epoch ms on its store's clock."""

    log: dict[str, int] = field(default_factory=dict)
    """Each counted request (a token, or a placeholder) and the instant it counts from."""
    pause_until: int = 0
    """No process sends before this instant."""
    gone: set[str] = field(default_factory=set)
    """Endpoints (method and path template) that answered 410."""
    generation: str = ""
    """Set when the ledger is made: a store that lost its data no longer has it."""


class BudgetStore(Protocol):
    """Where a ledger lives; ``where`` names it in messages (a password masked)."""

    where: str

    def update(self, change: Callable[[Ledger, int], T]) -> T:
        """``change(ledger, now_ms)`` atomically, on the store's clock (machines agree)."""

    def close(self) -> None: ...


class ServerCount(NamedTuple):
    """The server's count (its limit minus ``Remaining``) at an answer, on the store's clock."""

    requests: int
    frees_at_ms: int  # when the oldest of them leaves its window (``Reset``)
    seen_at_ms: int


class PauseRefused(Exception):
    """A turn would wait ``seconds`` for a pause longer than ``max_pause``: the call fails."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class EndpointGone(Exception):
    """The endpoint answered 410 to some process: it is not called again."""


def safety_margin_ms(window_seconds: float) -> int:
    """How much longer than the server's window the client counts: 1 %, at least 20 ms."""
    return max(20, int(window_seconds * 10))


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A header's non-negative, finite number, or None (absent, ``inf``, ``nan``, garbage)."""
    try:
        number = float(headers.get(name, ""))
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def admit(ledger: Ledger, now: int, limit: int, interval: int, token: str) -> int:
    """Log ``token`` and return 0 if fewer than ``limit`` requests count in the ``interval``
    ms ending ``now``, else the ms until the blocking one leaves. One stamped in the future
    (another clock) is moved back to ``now``: none holds a turn longer than a window."""
    for name, at in list(ledger.log.items()):
        if at <= now - interval:
            del ledger.log[name]
        elif at > now:
            ledger.log[name] = now
    if len(ledger.log) < limit:
        ledger.log[token] = now
        return 0
    stamps = sorted(ledger.log.values())
    return stamps[len(stamps) - limit] + interval - now + 1


def _add(ledger: Ledger, count: int, at: int) -> None:
    """Log ``count`` placeholders at ``at``: requests the server counted and no one logged."""
    prefix = f"server:{uuid.uuid4().hex}:"
    ledger.log.update((f"{prefix}{number}", at) for number in range(count))


def top_up(ledger: Ledger, count: int, since: int, at: int) -> int:
    """Log placeholders at ``at`` until ``count`` requests count from ``since``; how many."""
    missing = count - sum(1 for stamp in ledger.log.values() if stamp >= since)
    _add(ledger, missing, at)
    return max(missing, 0)


def rebuild(ledger: Ledger, now: int, limit: int, interval: int, seen: ServerCount | None) -> str:
    """Refill a ledger that lost its data from the server's last count (its oldest leaving
    when the server said, the others -- whose instants nobody knows -- a window after that
    answer), else count the whole window as spent; how, for the log."""
    since = now - interval
    if seen is None or seen.seen_at_ms <= since:
        top_up(ledger, limit, since, now)
        return "no answer of the last window gave the API's count: the window counts as spent"
    missing = seen.requests - sum(1 for stamp in ledger.log.values() if stamp >= since)
    if missing > 0 and seen.frees_at_ms > now:
        _add(ledger, 1, seen.frees_at_ms - interval)
    _add(ledger, missing - 1, seen.seen_at_ms)
    return f"rebuilt from the API's last count ({seen.requests} requests in its window)"


class Budget:
    """``limit`` requests per rolling ``window_seconds`` for one domain on one server, kept in
    ``store``; waits no longer than ``max_pause`` for a pause the server asked for."""

    def __init__(
        self, store: BudgetStore, limit: int, window_seconds: float, max_pause: float
    ) -> None:
        self._store = store
        self._limit = limit
        self._window_ms = int(window_seconds * 1000)
        self._interval_ms = self._window_ms + safety_margin_ms(window_seconds)
        self._max_pause = max_pause
        self._own_pause_until = 0  # the end of a pause this process did not share
        self._seen: ServerCount | None = None  # the latest count, for a lost ledger
        self._generation = store.update(self._open)

    @staticmethod
    def _open(ledger: Ledger, now: int) -> str:
        ledger.generation = ledger.generation or uuid.uuid4().hex
        return ledger.generation

    def take_turn(self, endpoint: str) -> tuple[str, float]:
        """Block until this process may send one request to ``endpoint``: the turn's token
        (for ``settle``) and the seconds waited; ``EndpointGone``, ``PauseRefused``."""
        started = time.monotonic()
        token = uuid.uuid4().hex
        while True:
            state, wait_ms, lost = self._store.update(
                lambda ledger, now: self._turn(ledger, now, token, endpoint)
            )
            if lost:
                logger.warning(
                    "the shared request budget at %s lost its data (restarted, flushed or "
                    "deleted): %s",
                    self._store.where,
                    lost,
                )
            if state == "granted":
                return token, time.monotonic() - started
            if state == "gone":
                raise EndpointGone(endpoint)
            seconds = wait_ms / 1000
            if state == "paused":
                if seconds > self._max_pause:
                    raise PauseRefused(seconds)
                log_wait(logger, seconds, "the shared budget is paused (server's request)")
            else:
                # at INFO beyond 5 s, so a stalled-looking job explains itself
                log_wait(logger, seconds, "the request budget is spent", loud_above=5.0)
                seconds += 0.005  # so the blocking request has surely left
            time.sleep(seconds)

    def _turn(self, ledger: Ledger, now: int, token: str, endpoint: str) -> tuple[str, int, str]:
        lost = ""
        if ledger.generation != self._generation:
            lost = rebuild(ledger, now, self._limit, self._interval_ms, self._seen)
            ledger.generation = ledger.generation or self._generation
            self._generation = ledger.generation
        if endpoint in ledger.gone:
            return "gone", 0, lost
        ledger.pause_until = min(ledger.pause_until, now + self._window_ms)
        paused = max(ledger.pause_until, self._own_pause_until) - now
        if paused > 0:
            return "paused", paused, lost
        wait = admit(ledger, now, self._limit, self._interval_ms, token)
        return ("granted" if wait == 0 else "spent"), min(wait, self._interval_ms), lost

    def settle(self, token: str, headers: Mapping[str, str] | None) -> None:
        """The attempt of ``token`` is over: count it from now, and tighten the log to the
        server's count in ``headers`` -- its own limit minus ``Remaining``, so clients of one
        key with different limits do not inflate each other's log."""
        headers = headers or {}
        remaining = header_number(headers, "X-RateLimit-Remaining")
        reset = header_number(headers, "X-RateLimit-Reset")
        server_limit = header_number(headers, "X-RateLimit-Limit") or self._limit
        reset_ms = min(int((reset or 0) * 1000), self._window_ms)
        unshared = remaining == 0 and reset is not None and reset_ms > self._max_pause * 1000

        def change(ledger: Ledger, now: int) -> tuple[int, int]:
            if token in ledger.log:
                ledger.log[token] = now
            if remaining is None or reset is None:
                return now, 0
            counted = int(max(min(server_limit - remaining, self._limit), 0))
            self._seen = ServerCount(counted, now + reset_ms, now)
            if reset_ms <= 0 or unshared:
                return now, 0  # a pause no call would wait for: no placeholders either
            if remaining == 0:
                ledger.pause_until = max(ledger.pause_until, now + reset_ms)
            since = now - self._interval_ms
            return now, top_up(ledger, counted, since, since + reset_ms)

        now, added = self._store.update(change)
        if unshared:
            self._keep_own_pause(now, reset_ms)
        if added:
            logger.debug("server counted %d requests more than the log; tightened", added)

    def pause(self, seconds: float) -> None:
        """Stop every process sharing this budget from sending for ``seconds`` (at most a
        window), for a 429's ``Retry-After``; beyond ``max_pause``, this process only."""
        pause_ms = min(int(max(seconds, 0.0) * 1000), self._window_ms)
        shared = pause_ms <= self._max_pause * 1000

        def change(ledger: Ledger, now: int) -> int:
            if shared:
                ledger.pause_until = max(ledger.pause_until, now + pause_ms)
            return now

        now = self._store.update(change)
        if not shared:
            self._keep_own_pause(now, pause_ms)

    def _keep_own_pause(self, now: int, pause_ms: int) -> None:
        self._own_pause_until = max(self._own_pause_until, now + pause_ms)
        logger.info(
            "the server asks for no request during %.1f s, more than max_retry_wait "
            "(%.1f s): not shared, and calls fail until %s",
            pause_ms / 1000,
            self._max_pause,
            until_text(pause_ms / 1000),
        )

    def mark_gone(self, endpoint: str) -> None:
        """Record a 410 so no process sharing the budget calls ``endpoint`` again."""
        self._store.update(lambda ledger, now: ledger.gone.add(endpoint))

    def close(self) -> None:
        """Release the store (the budget stays for the other processes and the next run)."""
        self._store.close()
