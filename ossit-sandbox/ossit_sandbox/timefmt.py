"""Timestamps, dates and durations in the exact text forms the contract prescribes.

Timestamps are stored and compared as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` text, so string
order equals time order and SQLite indexes them directly. What a timestamp or a date may be
is the contract's (:mod:`ossit_schemas.values`), so the sandbox accepts exactly what the
connectors send and refuse.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ossit_schemas import values

# IANA names are at most ~30 characters; anything longer is no zone (and, looked up as a
# file, a name past the OS's limit raises OSError rather than ZoneInfoNotFoundError).
MAX_TIME_ZONE = 255


def now_us() -> int:
    """Microseconds since the epoch (UTC)."""
    return time.time_ns() // 1000


def format_us(us: int) -> str:
    """Render epoch microseconds as the canonical timestamp text."""
    sec, micro = divmod(us, 1_000_000)
    t = time.gmtime(sec)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{micro:06d}Z"
    )


def format_datetime(dt: datetime) -> str:
    """Render an aware datetime as the canonical UTC timestamp text."""
    return values.format_timestamp(dt)


def parse_timestamp(text: object) -> str:
    """Canonical text of an ISO 8601 timestamp carrying a UTC offset; ValueError otherwise."""
    return values.canonical_timestamp(text)


def to_datetime(canonical: str) -> datetime:
    """Parse canonical timestamp text back to an aware datetime."""
    return datetime.fromisoformat(canonical)


def iso_duration(start: str | None, end: str | None) -> str | None:
    """``end - start`` as ISO 8601 with hours as the largest unit (``PT26H3M0S``); None if open."""
    if start is None or end is None:
        return None
    delta = to_datetime(end) - to_datetime(start)
    total = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    hours, rest = divmod(total, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micro = divmod(rest, 1_000_000)
    secs = f"{seconds}.{micro:06d}".rstrip("0") if micro else str(seconds)
    return f"PT{hours}H{minutes}M{secs}S"


def parse_date(text: object) -> str:
    """Validate a ``YYYY-MM-DD`` calendar date; ValueError otherwise."""
    if isinstance(text, str):
        return _valid_date(text)  # a batch names few days, a thousand times
    return values.parse_date(text).isoformat()  # raises: not a string


@functools.lru_cache(maxsize=4096)
def _valid_date(text: str) -> str:
    return values.parse_date(text).isoformat()  # the text itself: only YYYY-MM-DD is taken


def check_time_zone(name: object) -> str:
    """Validate an IANA time zone name; ValueError otherwise."""
    if not isinstance(name, str) or not name or len(name) > MAX_TIME_ZONE:
        raise ValueError("must be an IANA time zone name such as America/Toronto")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def today_in(time_zone: str) -> str:
    """Today's date in a time zone, the default reference date of a domain."""
    return datetime.now(ZoneInfo(time_zone)).date().isoformat()
