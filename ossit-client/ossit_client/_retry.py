"""Which failures are retried and how long to wait (``backoff``'s expo and full jitter).

``backoff``'s decorators would hide what the loop in ``_base_client`` needs per attempt (the
answer's ``Retry-After``, the shared 429 pause, one Idempotency-Key), so only its math is used.
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
    """Seconds to wait from a ``Retry-After`` (seconds or HTTP-date, past = 0), or None for
    garbage, so the caller backs off; capped at ``ceiling``: a date in 2099 is a broken server.
    """
    text = (value or "").strip()
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
