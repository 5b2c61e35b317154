"""The request budget in Redis: one budget per (base URL, key) for every machine using that Redis.

Built on redis-py with a few Lua scripts rather than pyrate-limiter's ``RedisBucket``: that
bucket stamps requests with each machine's own clock (its ``now`` is ``time_ns``), cannot move
a logged request to the instant its answer arrived, and has no shared pause or gone endpoints.
A script runs atomically in Redis, so each step below is one round trip that no other process
can interleave with, and it reads the time from the Redis server (``TIME``): every machine
counts the window on one clock.

Keys, all under ``ossit-client:{<hash>}:`` where the hash is the budget file's (of URL and key,
never the key itself; the braces keep a budget in one Redis Cluster slot):

* ``log`` -- a sorted set, one member per request (a random token) scored by the instant it
  was sent, then moved to the instant its answer arrived (``restamp``); placeholders
  (``server:...``) for requests the server counted and no client logged. Same rolling window,
  same safety margin as the file; it expires on its own two windows after its last write.
* ``pause`` -- "nobody sends before this instant" (a 429, ``Remaining: 0``), expiring then.
* ``gone`` -- a set of endpoints that answered 410.
* ``generation`` -- a random id set when the budget is first opened. A Redis that lost its
  data (restarted without persistence, flushed, evicted) no longer knows what was spent; a
  process that finds the generation it opened gone or changed rebuilds the log before its
  next request from what the API last told it (``ServerCount``: its ``X-RateLimit-Remaining``
  and ``Reset``): as many placeholders as the server had counted, the oldest leaving when the
  server said one would, the others (whose instants nobody knows) a window after that answer.
  So the requests the server still has left are used at once, and none leaves outside what
  it counts. Every process that notices rebuilds this way (a top-up: the log ends up with the
  highest count any of them saw, not their sum); a process with no answer from the last
  window to go by counts the whole window as spent instead.

Redis unreachable when the client is built: ``BudgetStoreError`` at once, naming the URL with
its password masked. Redis reached but refusing what the URL says -- a wrong password or user,
a database it does not have, an option redis-py does not take -- is ``BudgetSettingError``, at
once and never retried: a mistake in ``budget_url``, which no later attempt mends.
Lost later: every call is retried for ``RECONNECT_SECONDS``, then
``BudgetStoreError``; a turn that cannot be taken is never taken, so no request is sent
outside the budget.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from pyrate_limiter import Decision, Rate, RateItem
from redis.backoff import NoBackoff
from redis.retry import Retry

from ._budget_url import masked_url
from ._exceptions import OssitError
from ._server_count import ServerCount

logger = logging.getLogger(__name__)

#: How long a lost Redis is retried (with backoff) before a call fails with BudgetStoreError.
RECONNECT_SECONDS = 10.0
#: Seconds to connect to Redis, and to wait for each of its answers.
SOCKET_TIMEOUT_SECONDS = 5.0
KEY_PREFIX = "ossit-client"

_T = TypeVar("_T")

#: The server's clock in epoch ms, and a helper logging ``n`` placeholders at ``ts``.
_LUA_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function add_placeholders(log, n, ts, prefix, ttl)
  local batch = {}
  for i = 1, n do
    batch[#batch + 1] = ts
    batch[#batch + 1] = prefix .. i
    if #batch >= 1000 then
      redis.call('ZADD', log, unpack(batch))
      batch = {}
    end
  end
  if #batch > 0 then redis.call('ZADD', log, unpack(batch)) end
  redis.call('PEXPIRE', log, ttl)
end
"""

#: KEYS: log, generation. ARGV: limit, interval ms, token, the caller's generation,
#: a placeholder prefix, then the server's count the caller last saw (-1: none), when the
#: oldest of it leaves and when it was seen (ms). Logs the token now if the window has room;
#: first, if the budget was lost since the caller opened it, rebuilds the log from that count
#: (else counts the window as spent). Returns {allowed, wait ms, now, generation, lost}, lost
#: being 0 (not lost), 1 (rebuilt from the server's count) or 2 (counted as spent).
_DECIDE = (
    _LUA_COMMON
    + """
local log, limit, interval = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local now = now_ms()
local reset = 0
local generation = redis.call('GET', KEYS[2])
if generation ~= ARGV[4] then
  if not generation then
    generation = ARGV[4]
    redis.call('SET', KEYS[2], generation)
  end
  local known, frees_at, seen_at = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
  local missing
  if known >= 0 and seen_at > now - interval then
    missing = known - redis.call('ZCOUNT', log, now - interval, '+inf')
    if missing > 0 and frees_at > now then
      add_placeholders(log, 1, frees_at - interval, ARGV[5] .. 'oldest:', 2 * interval)
    end
    missing = missing - 1
    if missing > 0 then add_placeholders(log, missing, seen_at, ARGV[5], 2 * interval) end
    reset = 1
  else
    missing = limit - redis.call('ZCOUNT', log, now - interval, '+inf')
    if missing > 0 then add_placeholders(log, missing, now, ARGV[5], 2 * interval) end
    reset = 2
  end
end
redis.call('ZREMRANGEBYSCORE', log, '-inf', '(' .. (now - interval))
local count = redis.call('ZCARD', log)
if count < limit then
  redis.call('ZADD', log, now, ARGV[3])
  redis.call('PEXPIRE', log, 2 * interval)
  return {1, 0, now, generation, reset}
end
local blocking = redis.call('ZRANGE', log, count - limit, count - limit, 'WITHSCORES')
return {0, tonumber(blocking[2]) + interval - now + 1, now, generation, reset}
"""
)

#: KEYS: generation. ARGV: a new generation. The budget's generation (set if none).
_OPEN = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
"""

#: KEYS: log. ARGV: count, since ms, timestamp ms, prefix, interval ms. Logs placeholders so
#: that at least ``count`` entries are at or after ``since``; returns how many it added.
_TOP_UP = (
    _LUA_COMMON
    + """
local missing = tonumber(ARGV[1]) - redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf')
if missing > 0 then
  add_placeholders(KEYS[1], missing, tonumber(ARGV[3]), ARGV[4], 2 * tonumber(ARGV[5]))
  return missing
end
return 0
"""
)

#: KEYS: log. ARGV: token. Moves the token's entry to now (if it is still logged).
_RESTAMP = _LUA_COMMON + "return redis.call('ZADD', KEYS[1], 'XX', now_ms(), ARGV[1])"

#: KEYS: pause. ARGV: until ms, "max" or "min". Moves the pause later ("max", a new 429) or
#: earlier ("min", cutting back an over-long one); it expires when it ends.
_PAUSE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local target = tonumber(ARGV[1])
if (ARGV[2] == 'max' and target > current) or (ARGV[2] == 'min' and current > target) then
  redis.call('SET', KEYS[1], target)
  redis.call('PEXPIREAT', KEYS[1], target)
end
return 0
"""

#: KEYS: log. ARGV: latest ms. Moves entries stamped after ``latest`` back to it.
_CAP = """
local late = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
for _, member in ipairs(late) do redis.call('ZADD', KEYS[1], ARGV[1], member) end
return #late
"""


class BudgetStoreError(OssitError):
    """The Redis holding the shared budget (``budget_url``) cannot be reached or used.

    ``url`` is the budget URL with its password masked; the message says what to do.
    """

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(message)


class BudgetSettingError(BudgetStoreError):
    """``budget_url`` itself is wrong: its Redis refused the password or user, has no such
    database, or the URL holds an option redis-py does not take. A settings error, unlike
    a Redis that cannot be reached: retrying with the same settings cannot mend it."""


def _setting_fault(exc: BaseException) -> str | None:
    """What of ``budget_url`` the Redis (or redis-py) refused, if ``exc`` says so; else None."""
    if isinstance(exc, redis.AuthenticationError | redis.AuthenticationWrongNumberOfArgsError):
        return "its Redis refused the user name or password"
    if isinstance(exc, redis.exceptions.NoPermissionError):
        return "its Redis does not let that user run the budget's commands"
    if isinstance(exc, redis.ResponseError) and "DB index" in str(exc):
        return "its Redis has no such database (the number after the port)"
    if isinstance(exc, TypeError | ValueError):  # redis-py's reading of the URL's options
        return "holds an option redis-py does not take, or a value it cannot read"
    return None


class RedisBudget:
    """The shared budget of one (base URL, key) in Redis; see the module's docstring."""

    def __init__(self, url: str, name: str, rate: Rate) -> None:
        self.url = masked_url(url)
        self._limit = rate.limit
        self._interval_ms = rate.interval
        base = f"{KEY_PREFIX}:{{{name}}}"
        self._log, self._pause = f"{base}:log", f"{base}:pause"
        self._gone, self._generation_key = f"{base}:gone", f"{base}:generation"
        try:
            # Retries are ours (``_call``), bounded in time; redis-py's would add their own.
            self._redis = redis.Redis.from_url(
                url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
        except ValueError as exc:
            raise self._setting_error(exc) from None
        self._scripts = {
            name: self._redis.register_script(source)
            for name, source in {
                "decide": _DECIDE,
                "open": _OPEN,
                "top_up": _TOP_UP,
                "restamp": _RESTAMP,
                "pause": _PAUSE,
                "cap": _CAP,
            }.items()
        }
        try:
            # Connecting applies the URL's options (TypeError: one redis-py does not take).
            self._generation = self._run("open", [self._generation_key], [uuid.uuid4().hex])
        except (redis.RedisError, TypeError, ValueError) as exc:
            self._redis.close()
            if _setting_fault(exc) is not None:
                raise self._setting_error(exc) from None
            raise self._error("cannot be reached", exc) from exc

    # -- the BudgetStore interface ---------------------------------------------------------

    @property
    def interval_ms(self) -> int:
        return self._interval_ms

    def now_ms(self) -> int:
        """The Redis server's clock, in epoch milliseconds."""
        seconds, micros = self._call("read the time", self._redis.time)
        return int(seconds) * 1000 + int(micros) // 1000

    def decide(self, item: RateItem, last_seen: ServerCount | None = None) -> Decision:
        """Log ``item`` now (the server's now) if the window has room; else the wait.

        Should Redis have lost the budget, it is first rebuilt from ``last_seen``.
        """
        known = (-1, 0, 0) if last_seen is None else last_seen
        allowed, wait_ms, _now, generation, lost = self._call(
            "take a turn",
            lambda: self._run(
                "decide",
                [self._log, self._generation_key],
                [
                    self._limit,
                    self._interval_ms,
                    item.name,
                    self._generation,
                    f"server:{uuid.uuid4().hex}:",
                    *known,
                ],
            ),
        )
        if lost == 1:
            logger.warning(
                "the shared request budget at %s lost its data (Redis restarted or was "
                "flushed): rebuilt from the API's last count (%d requests in its window)",
                self.url,
                known[0],
            )
        elif lost:
            logger.warning(
                "the shared request budget at %s lost its data (Redis restarted or was "
                "flushed) and no answer of the last window says what the API counted: the "
                "current window counts as spent",
                self.url,
            )
        self._generation = generation
        if allowed:
            return Decision()
        return Decision(failing_rate=Rate(self._limit, self._interval_ms), retry_after_ms=wait_ms)

    def leak(self) -> None:
        """Nothing to do: each turn drops the entries that left the window."""

    def restamp(self, name: str, timestamp_ms: int) -> None:
        """Move the logged request ``name`` to the server's now (``timestamp_ms`` is ignored:
        the server's clock at the moment of the move is the later and surer instant)."""
        self._call("settle a turn", lambda: self._run("restamp", [self._log], [name]))

    def top_up(self, count: int, since_ms: int, timestamp_ms: int) -> int:
        """Log placeholders at ``timestamp_ms`` until ``count`` entries are after ``since_ms``."""
        prefix = f"server:{uuid.uuid4().hex}:"
        args = [count, since_ms, timestamp_ms, prefix, self._interval_ms]
        return int(self._call("tighten", lambda: self._run("top_up", [self._log], args)))

    def cap_timestamps(self, latest_ms: int) -> None:
        self._call("cap the log", lambda: self._run("cap", [self._log], [latest_ms]))

    def pause_until_ms(self) -> int:
        value = self._call("read the pause", lambda: self._redis.get(self._pause))
        return int(value) if value else 0

    def extend_pause(self, until_ms: int) -> None:
        self._call("pause", lambda: self._run("pause", [self._pause], [until_ms, "max"]))

    def cap_pause(self, until_ms: int) -> None:
        self._call("cap the pause", lambda: self._run("pause", [self._pause], [until_ms, "min"]))

    def is_gone(self, endpoint: str) -> bool:
        return bool(self._call("read", lambda: self._redis.sismember(self._gone, endpoint)))

    def mark_gone(self, endpoint: str) -> None:
        self._call("record a 410", lambda: self._redis.sadd(self._gone, endpoint))

    def close(self) -> None:
        """Release the connections (the budget stays in Redis for the other processes)."""
        self._redis.close()

    # -- helpers ---------------------------------------------------------------------------

    def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        return self._scripts[script](keys=keys, args=args)

    def _call(self, what: str, action: Callable[[], _T]) -> _T:
        """``action()``, retried for ``RECONNECT_SECONDS`` while Redis cannot be reached."""
        deadline = time.monotonic() + RECONNECT_SECONDS
        delay = 0.05
        warned = False
        while True:
            try:
                return action()
            except redis.RedisError as exc:
                if _setting_fault(exc) is not None:  # e.g. a Redis back with another password
                    raise self._setting_error(exc) from None
                if not isinstance(exc, redis.ConnectionError | redis.TimeoutError):
                    raise self._error(f"failed (trying to {what})", exc) from exc
                if time.monotonic() + delay > deadline:
                    raise self._error(
                        f"was lost and not back within {RECONNECT_SECONDS:g} s (trying to "
                        f"{what}); no request was sent without a turn",
                        exc,
                    ) from exc
                if not warned:
                    logger.warning(
                        "the shared request budget at %s cannot be reached (%s); retrying "
                        "for up to %g s",
                        self.url,
                        type(exc).__name__,
                        RECONNECT_SECONDS,
                    )
                    warned = True
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _error(self, what: str, exc: BaseException) -> BudgetStoreError:
        return BudgetStoreError(
            self.url,
            f"the shared request budget at {self.url} {what}: {type(exc).__name__}: {exc}. "
            "Start Redis there (or fix budget_url), or unset budget_url and OSSIT_BUDGET_URL "
            "to keep the budget in this machine's file.",
        )

    def _setting_error(self, exc: BaseException) -> BudgetSettingError:
        """The error naming ``budget_url`` and what of it was refused (``exc`` must say)."""
        return BudgetSettingError(
            self.url,
            f"budget_url {self.url}: {_setting_fault(exc)} "
            f"({type(exc).__name__}: {exc}); fix budget_url (or OSSIT_BUDGET_URL)",
        )
