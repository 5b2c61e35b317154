"""The budget in Redis (``budget_url``), shared by machines, under ``ossit-client:{<domain>}:``
(never the key; braces keep one Cluster slot). A change is one optimistic
``Redis.transaction`` (watched keys, the rules of ``_budget`` in Python, one MULTI/EXEC, run
again on a conflict), on Redis's clock (``TIME``). A refused URL is ``BudgetSettingError``,
never retried; a Redis lost later is retried for ``RECONNECT_SECONDS``, then
``BudgetStoreError``: a turn not logged is never taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ._budget import Ledger, T
from ._budget_url import masked_url
from ._exceptions import BudgetSettingError, BudgetStoreError
from ._masking import masked_logger

logger = masked_logger(__name__)

#: How long a lost Redis is retried (with backoff) before a call fails with BudgetStoreError.
RECONNECT_SECONDS = 10.0
#: Seconds to connect to Redis, and to wait for each of its answers.
SOCKET_TIMEOUT_SECONDS = 5.0


class RedisStore:
    """A ledger in Redis, changed in optimistic transactions (see the module's docstring)."""

    def __init__(self, url: str, name: str, ttl_ms: int) -> None:
        self.where = masked_url(url)
        base = f"ossit-client:{{{name}}}"
        self._keys = [f"{base}:{part}" for part in ("log", "pause", "gone", "generation")]
        self._ttl_ms = ttl_ms
        try:
            # Retries are ours (``update``), bounded in time; redis-py's would add their own.
            self._redis = redis.Redis.from_url(
                url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
            self._redis.ping()  # connecting applies the URL's options
        except (redis.RedisError, TypeError, ValueError) as exc:
            if (refused := self._setting_error(exc)) is not None:
                raise refused from None
            raise self._error("cannot be reached", exc) from exc

    def update(self, change: Callable[[Ledger, int], T]) -> T:
        """``change`` on the ledger in one transaction, run again if another process wrote;
        retried for ``RECONNECT_SECONDS`` while Redis cannot be reached."""
        log, pause, gone, generation = self._keys
        results: list[T] = []

        def attempt(pipe: Any) -> None:
            seconds, micros = pipe.time()
            now = int(seconds) * 1000 + int(micros) // 1000
            scored = pipe.zrange(log, 0, -1, withscores=True)
            entries = {member.decode(): int(at) for member, at in scored}
            paused = int(pipe.get(pause) or 0)
            retired = {member.decode() for member in pipe.smembers(gone)}
            made = (pipe.get(generation) or b"").decode()
            ledger = Ledger(dict(entries), paused, set(retired), made)
            results[:] = [change(ledger, now)]
            pipe.multi()
            if removed := entries.keys() - ledger.log.keys():
                pipe.zrem(log, *removed)
            if changed := {k: v for k, v in ledger.log.items() if entries.get(k) != v}:
                pipe.zadd(log, changed)
                pipe.pexpire(log, self._ttl_ms)
            if ledger.pause_until > now and ledger.pause_until != paused:
                pipe.set(pause, ledger.pause_until, pxat=ledger.pause_until)
            elif ledger.pause_until != paused:
                pipe.delete(pause)
            if added := ledger.gone - retired:
                pipe.sadd(gone, *added)
            if ledger.generation != made:
                pipe.set(generation, ledger.generation)

        deadline = time.monotonic() + RECONNECT_SECONDS
        delay, warned = 0.05, False
        while True:
            try:
                self._redis.transaction(attempt, *self._keys)
                return results[0]
            except redis.RedisError as exc:
                if (refused := self._setting_error(exc)) is not None:  # another password now
                    raise refused from None
                if not isinstance(exc, redis.ConnectionError | redis.TimeoutError):
                    raise self._error("failed", exc) from exc
                if time.monotonic() + delay > deadline:
                    raise self._error(
                        f"was lost and not back within {RECONNECT_SECONDS:g} s; no request "
                        "was sent without a turn",
                        exc,
                    ) from exc
                if not warned:
                    logger.warning(
                        "the shared request budget at %s cannot be reached (%s); retrying "
                        "for up to %g s",
                        self.where,
                        type(exc).__name__,
                        RECONNECT_SECONDS,
                    )
                    warned = True
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def close(self) -> None:
        """Release the connections (the budget stays in Redis for the other processes)."""
        self._redis.close()

    def _error(self, what: str, exc: BaseException) -> BudgetStoreError:
        return BudgetStoreError(
            self.where,
            f"the shared request budget at {self.where} {what}: {type(exc).__name__}: {exc}. "
            "Start Redis there (or fix budget_url), or unset budget_url and OSSIT_BUDGET_URL "
            "to keep the budget in this machine's file.",
        )

    def _setting_error(self, exc: BaseException) -> BudgetSettingError | None:
        """What of ``budget_url`` the Redis (or redis-py) refused, if ``exc`` says so."""
        if isinstance(exc, redis.AuthenticationError | redis.AuthenticationWrongNumberOfArgsError):
            fault = "its Redis refused the user name or password"
        elif isinstance(exc, redis.exceptions.NoPermissionError):
            fault = "its Redis does not let that user run the budget's commands"
        elif isinstance(exc, redis.ResponseError) and "DB index" in str(exc):
            fault = "its Redis has no such database (the number after the port)"
        elif isinstance(exc, TypeError | ValueError):  # redis-py's reading of the URL's options
            fault = "holds an option redis-py does not take, or a value it cannot read"
        else:
            return None
        return BudgetSettingError(
            self.where,
            f"budget_url {self.where}: {fault} ({type(exc).__name__}: {exc}); "
            "fix budget_url (or OSSIT_BUDGET_URL)",
        )
