"""The budget in Redis (``budget_url``), shared by machines, under ``ossit-client:{<domain>}:``
(never the key; braces keep one Cluster slot). A change is one optimistic
``Redis.transaction`` (watched keys, the rules of ``_budget`` in Python, one MULTI/EXEC, run
again on a conflict), on Redis's clock (``TIME``). A refused URL is ``BudgetSettingError``,
never retried; a Redis lost later is retried for ``RECONNECT_SECONDS``, then
``BudgetStoreError``: a turn not logged is never taken.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ._budget import Ledger
from ._budget_url import masked_url
from ._exceptions import BudgetSettingError, BudgetStoreError
from ._masking import masked_logger

logger = masked_logger(__name__)

T = TypeVar("T")

#: How long a lost Redis is retried (with backoff) before a call fails with BudgetStoreError.
RECONNECT_SECONDS = 10.0
#: Seconds to connect to Redis, and to wait for each of its answers.
SOCKET_TIMEOUT_SECONDS = 5.0


def _setting_fault(exc: BaseException) -> str | None:
    """What of ``budget_url`` the Redis (or redis-py) refused, if ``exc`` says so."""
    if isinstance(exc, redis.AuthenticationError | redis.AuthenticationWrongNumberOfArgsError):
        return "its Redis refused the user name or password"
    if isinstance(exc, redis.exceptions.NoPermissionError):
        return "its Redis does not let that user run the budget's commands"
    if isinstance(exc, redis.ResponseError) and "DB index" in str(exc):
        return "its Redis has no such database (the number after the port)"
    if isinstance(exc, TypeError | ValueError):  # redis-py's reading of the URL's options
        return "holds an option redis-py does not take, or a value it cannot read"
    return None


class RedisStore:
    """A ledger in Redis, changed in optimistic transactions (see the module's docstring)."""

    def __init__(self, url: str, name: str, ttl_ms: int) -> None:
        self.where = masked_url(url)
        base = f"ossit-client:{{{name}}}"
        self._keys = [f"{base}:{part}" for part in ("log", "pause", "gone", "generation")]
        self._ttl_ms = ttl_ms
        try:
            # Retries are ours (``_call``), bounded in time; redis-py's would add their own.
            self._redis = redis.Redis.from_url(
                url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
            self._redis.ping()  # connecting applies the URL's options
        except (redis.RedisError, TypeError, ValueError) as exc:
            if _setting_fault(exc) is not None:
                raise self._setting_error(exc) from None
            raise self._error("cannot be reached", exc) from exc

    def update(self, change: Callable[[Ledger, int], T]) -> T:
        """``change`` on the ledger in one transaction, run again if another process wrote."""
        log, pause, gone, generation = self._keys

        results: list[T] = []

        def attempt(pipe: Any) -> None:
            seconds, micros = pipe.time()
            now = int(seconds) * 1000 + int(micros) // 1000
            entries = pipe.zrange(log, 0, -1, withscores=True)
            before = Ledger(
                {member.decode(): int(at) for member, at in entries},
                int(pipe.get(pause) or 0),
                {member.decode() for member in pipe.smembers(gone)},
                (pipe.get(generation) or b"").decode(),
            )
            ledger = dataclasses.replace(before, log=dict(before.log), gone=set(before.gone))
            results[:] = [change(ledger, now)]
            pipe.multi()
            if removed := before.log.keys() - ledger.log.keys():
                pipe.zrem(log, *removed)
            if changed := {k: v for k, v in ledger.log.items() if before.log.get(k) != v}:
                pipe.zadd(log, changed)
                pipe.pexpire(log, self._ttl_ms)
            if ledger.pause_until > now and ledger.pause_until != before.pause_until:
                pipe.set(pause, ledger.pause_until, pxat=ledger.pause_until)
            elif ledger.pause_until != before.pause_until:
                pipe.delete(pause)
            if added := ledger.gone - before.gone:
                pipe.sadd(gone, *added)
            if ledger.generation != before.generation:
                pipe.set(generation, ledger.generation)

        self._call(lambda: self._redis.transaction(attempt, *self._keys))
        return results[0]

    def close(self) -> None:
        """Release the connections (the budget stays in Redis for the other processes)."""
        self._redis.close()

    def _call(self, action: Callable[[], T]) -> T:
        """``action()``, retried for ``RECONNECT_SECONDS`` while Redis cannot be reached."""
        deadline = time.monotonic() + RECONNECT_SECONDS
        delay, warned = 0.05, False
        while True:
            try:
                return action()
            except redis.RedisError as exc:
                if _setting_fault(exc) is not None:  # e.g. a Redis back with another password
                    raise self._setting_error(exc) from None
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

    def _error(self, what: str, exc: BaseException) -> BudgetStoreError:
        return BudgetStoreError(
            self.where,
            f"the shared request budget at {self.where} {what}: {type(exc).__name__}: {exc}. "
            "Start Redis there (or fix budget_url), or unset budget_url and OSSIT_BUDGET_URL "
            "to keep the budget in this machine's file.",
        )

    def _setting_error(self, exc: BaseException) -> BudgetSettingError:
        return BudgetSettingError(
            self.where,
            f"budget_url {self.where}: {_setting_fault(exc)} "
            f"({type(exc).__name__}: {exc}); fix budget_url (or OSSIT_BUDGET_URL)",
        )
