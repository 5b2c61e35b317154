"""Which failures are retried and how long to wait (``backoff``'s expo and full jitter; its
decorators would hide what the loop in ``_base_client`` needs per attempt: the answer's
``Retry-After``, the shared 429 pause, one Idempotency-Key).

A refused loopback connection fails at once (``refused_by_loopback``): nothing listens there
(typically the sandbox is not running) and a minute of retries would not change that.
``ECONNREFUSED`` comes before any byte is sent, so no write is half-applied; a refusal through
a proxy (the proxy's) or by a hosted API (a deploy) keeps the ordinary retries.
"""

from __future__ import annotations

import errno
import itertools
import math
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import backoff
import requests
import urllib3

from ._secrets import is_loopback
from .settings import ClientOptions

#: Exceptions of a chain followed: a few suffice, and a cycle must not loop.
_MAX_CHAIN = 8
_PROXY_ERRORS = (requests.exceptions.ProxyError, urllib3.exceptions.ProxyError)


def is_retryable_status(status_code: int) -> bool:
    """408, 429 and every 5xx are retried; every other status fails at once."""
    return status_code in (408, 429) or status_code >= 500


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
    text = (value or "").strip()  # empty: garbage to both parsers
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


def is_connection_refused(exc: BaseException) -> bool:
    """Whether ``exc`` or what it wraps (cause, context, urllib3's ``reason``, requests'
    argument) is a connection the peer refused, and none of it is a proxy's error."""
    chain: list[BaseException] = []
    queue: list[BaseException] = [exc]
    while queue and len(chain) < _MAX_CHAIN:
        current = queue.pop(0)
        if any(current is seen for seen in chain):
            continue
        chain.append(current)
        links = (current.__cause__, current.__context__, getattr(current, "reason", None))
        queue += [x for x in (*links, *current.args[:1]) if isinstance(x, BaseException)]
    return not any(isinstance(link, _PROXY_ERRORS) for link in chain) and any(
        isinstance(link, ConnectionRefusedError)
        or (isinstance(link, OSError) and link.errno == errno.ECONNREFUSED)
        for link in chain
    )


def refused_by_loopback(base_url: str, exc: BaseException) -> bool:
    """Whether ``exc`` is a refused connection to a loopback ``base_url`` (never retried)."""
    host = urlsplit(base_url).hostname
    return host is not None and is_loopback(host) and is_connection_refused(exc)


def refusal_hint(base_url: str) -> str:
    """What to tell a user whose loopback ``base_url`` refused the connection."""
    port = urlsplit(base_url).port
    serve = "ossit-sandbox serve --db FILE" + (f" --port {port}" if port else "")
    return (
        f"connection refused by {base_url}: nothing is listening there; is the sandbox "
        f"running? (`{serve}`); not retried"
    )
