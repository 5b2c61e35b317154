"""Retry rules and their math: which failures are retried and how long to wait.

The delays come from the ``backoff`` module (installed by ``python-backoff``): ``backoff.expo``
yields the exponential sequence and ``backoff.full_jitter`` spreads each value over ``[0, v]``.
Its decorators are not used: the request loop needs per-attempt state they hide (the
``Retry-After`` of the answer just received, the shared 429 pause, one Idempotency-Key reused
across attempts, counters by reason), so the loop is written out in ``_base_client`` and only
these pure helpers, table-tested, decide the numbers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import backoff

from .settings import ClientOptions

#: 408 Request Timeout, 429 Too Many Requests; every 5xx is retried too.
RETRYABLE_4XX = frozenset({408, 429})


def is_retryable_status(status_code: int) -> bool:
    """408, 429 and every 5xx are retried; every other status fails at once."""
    return status_code in RETRYABLE_4XX or status_code >= 500


def backoff_ceiling(retry_number: int, base: float, maximum: float) -> float:
    """The un-jittered wait before retry ``retry_number`` (0 = first retry): base * 2**n, capped."""
    # backoff.expo yields 0 first (a priming value), then factor, factor*2, ...
    waits = backoff.expo(base=2, factor=base, max_value=maximum)
    return next(itertools.islice(waits, retry_number + 1, None))


def backoff_delay(
    retry_number: int,
    base: float,
    maximum: float,
    jitter: Callable[[float], float] = backoff.full_jitter,
) -> float:
    """Full-jitter exponential delay: uniform in ``[0, min(maximum, base * 2**n)]``."""
    return jitter(backoff_ceiling(retry_number, base, maximum))


def parse_retry_after(value: str | None, now: float, ceiling: float = math.inf) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), or None.

    ``now`` is the current epoch time; a date in the past means "retry now" (0). Garbage,
    negative or non-finite values are ignored (None) so the caller falls back to backoff.
    A wait longer than ``ceiling`` (the client passes its rate window) counts as ``ceiling``:
    ``Retry-After: 999999`` or a date in 2099 is a broken server, not a reason to sleep for
    days.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
            if when.tzinfo is None:  # an HTTP-date is always GMT
                return None
            seconds = max(0.0, when.timestamp() - now)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, ceiling)


def plan_wait(
    retry_number: int,
    retry_after: float | None,
    policy: ClientOptions,
    jitter: Callable[[float], float] = backoff.full_jitter,
) -> float:
    """The wait before the next attempt: the server's ``Retry-After`` when given, else backoff."""
    if retry_after is not None:
        return retry_after
    return backoff_delay(retry_number, policy.backoff_base, policy.backoff_max, jitter)
