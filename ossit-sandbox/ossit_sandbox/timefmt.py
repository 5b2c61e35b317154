"""Timestamps, dates and durations in the exact text forms the contract prescribes.

Timestamps are stored and compared as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` text, so string
order equals time order and SQLite indexes them directly.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
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
    dt = dt.astimezone(UTC)
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T"
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}.{dt.microsecond:06d}Z"
    )


def parse_timestamp(text: object) -> str:
    """Canonical text of an ISO 8601 timestamp carrying a UTC offset; ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError("must be an ISO 8601 timestamp string")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp such as 2026-11-25T04:01:53Z") from None
    if dt.tzinfo is None:
        raise ValueError("must include a UTC offset (Z or +HH:MM)")
    try:
        return format_datetime(dt)
    except OverflowError:
        # 0001-01-01T00:00:00+01:00 is in year 0 in UTC, 9999-12-31T23:59:59-01:00 in 10000.
        raise ValueError(
            "must be within 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in UTC"
        ) from None


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
    if not isinstance(text, str) or not _DATE_RE.match(text):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a real calendar date YYYY-MM-DD") from None
    return text


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
