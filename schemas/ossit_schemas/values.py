"""What a number and a time may be, for every package that reads, sends or stores one.

The target, the destination, the core and the sandbox each used to read numbers and times
their own way: one took ``1_000`` or fullwidth digits for a number and another refused
it, orjson silently made a float of an integer beyond 64 bits, and ``strftime`` wrote year 1
as ``1``. They all use this module instead, so a value is kept exactly or refused with a
reason -- never changed on the way.

Numbers
    Text that stands for a number (a CSV source's ``"12.5"``) must be a JSON number
    (RFC 8259 section 6): ASCII digits, an optional ``-``, fraction and exponent; no blanks,
    ``+``, ``_``, ``inf``/``nan`` or digits of other scripts (:func:`parse_number`).

    A point's ``value`` is an IEEE 754 double (:func:`double`): a decimal is read as the
    nearest double, as every JSON reader does; one beyond the double's range (``1e400``) is
    refused, and so is an integer the double cannot hold exactly (every integer up to
    2**53 it can; 2**53 + 1 it cannot).

    An interval's ``metadata`` is stored as the JSON it was sent as: its integers are kept
    exactly within signed 64 bits (:data:`INT64_MIN` .. :data:`INT64_MAX`, what orjson,
    msgspec, SQLite and most consumers hold), its other numbers are finite doubles
    (:func:`json_problem`). Beyond that is refused, not rounded.

    JSON text is read with :func:`loads`, which keeps every integer exact (orjson turns
    those beyond 64 bits into floats, which could then never be told from real floats) and
    is written with :func:`dumps`, which writes them exactly, so whoever stores a value
    is the one that judges it.

Times
    A timestamp is RFC 3339's ``date-time``: ``YYYY-MM-DDTHH:MM:SS`` (``T``, ``t`` or a
    blank between), an optional fraction of at most microseconds (more digits only when
    they are zeros: the API keeps microseconds), and an offset ``Z`` or ``+HH:MM``/``-HH:MM``
    (:func:`parse_timestamp`). Its year is 0001 to 9999 in UTC, so ``0001-01-01T00:00:00+01:00``
    (year 0 in UTC) is refused. It is written in one form only, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
    with a 4-digit year (:func:`format_timestamp`), so text order is time order. A setting or
    a bookmark may leave out the offset (UTC) or the time (midnight UTC); the API may not.

    A date is ``YYYY-MM-DD`` in ASCII digits, a real calendar day (:func:`parse_date`).

Every refusal is a ``ValueError`` whose text follows the field's name (``value: must be
...``), so a caller puts the field (and the input line) before it.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterator
from typing import Any, Final

import msgspec

# -- numbers -------------------------------------------------------------------------------

JSON_NUMBER: Final = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?P<fraction>\.[0-9]+)?(?P<exponent>[eE][+-]?[0-9]+)?", re.ASCII
)
"""A number as JSON writes it (RFC 8259 section 6). Not ``float()``'s rule: that also takes
``1_000``, blanks, ``+5``, ``inf``/``nan`` and digits of every script (U+FF11, U+0661)."""

DOUBLE_EXACT_INTEGER_MAX: Final = 2**53
"""Every integer of at most this magnitude is a double exactly (some larger ones are too)."""

INT64_MIN: Final = -(2**63)
"""The smallest integer ``metadata`` keeps exactly."""

INT64_MAX: Final = 2**63 - 1
"""The largest integer ``metadata`` keeps exactly."""


def parse_number(text: str) -> int | float:
    """The number ``text`` spells as JSON reads it: an int (exact) when it has no fraction
    and no exponent, else the nearest double.

    ValueError when ``text`` is no JSON number or is beyond the double's range (``1e400``).
    """
    match = JSON_NUMBER.fullmatch(text)
    if match is None:
        msg = (
            f"must be a number in JSON form (ASCII digits, optional '-', fraction and "
            f"exponent; no blanks, '+' or '_'): {_shown(text)}"
        )
        raise ValueError(msg)
    if match["fraction"] is None and match["exponent"] is None:
        return _exact_int(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number: {_shown(text)} is beyond a double's range")
    return value


def double(value: object) -> float:
    """``value`` as the API stores a point's value (a double), kept exactly or refused.

    ``value`` is a JSON number as read (a bool is none; text that stands for a number goes
    through :func:`parse_number` first).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if isinstance(value, int):
        if abs(value) <= DOUBLE_EXACT_INTEGER_MAX:
            return float(value)
        try:
            exact = int(float(value)) == value
        except OverflowError:
            exact = False
        if not exact:
            msg = (
                f"must be a number a double holds exactly: the integer {_shown(str(value))} "
                f"is not one (integers up to 2**53 = {DOUBLE_EXACT_INTEGER_MAX} are)"
            )
            raise ValueError(msg)
        return float(value)
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def json_problem(document: object) -> tuple[str, str] | None:
    """Where and why ``document`` (free JSON, such as ``metadata``) holds a number the API
    cannot keep exactly: ``(path, reason)`` with a path such as ``"runs[2].count"``
    (``""``: the document itself), or None when every number is kept.
    """
    for path, value in _numbers(document):
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                return path, (
                    f"must be an integer within signed 64 bits ({INT64_MIN} to {INT64_MAX}) "
                    f"to be kept exactly: {_shown(str(value))} is not"
                )
        elif not math.isfinite(value):
            return path, "must be a finite number"
    return None


def _numbers(document: object) -> Iterator[tuple[str, int | float]]:
    """Every number in ``document`` with its path (iteratively: documents may be deep)."""
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}.{key}" if path else str(key), v) for key, v in node.items())
        elif isinstance(node, list):
            stack.extend((f"{path}[{index}]", v) for index, v in enumerate(node))
        elif isinstance(node, int | float) and not isinstance(node, bool):
            yield path, node


def _exact_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (4300): no API keeps such a number
        raise ValueError(f"must be an integer of at most 4300 digits: {_shown(text)}") from None


def _shown(text: str) -> str:
    """``text`` for a message: quoted, and cut when long (it comes from the input)."""
    return repr(text) if len(text) <= 60 else f"{text[:40]!r}... ({len(text)} characters)"


# -- JSON text -----------------------------------------------------------------------------

_decoder: Final = msgspec.json.Decoder()


class JSONTextError(ValueError):
    """Text that is not JSON (or nests deeper than a reader can follow)."""


def loads(data: bytes | str) -> Any:
    """The JSON value of ``data``, every integer kept exact; ``JSONTextError`` if no JSON.

    A number beyond the double's range (``1e400``) is read as an infinity rather than
    refused here, so the check of the field that holds it (:func:`double`,
    :func:`json_problem`) refuses it by name; ``NaN`` and ``Infinity`` are no JSON.
    """
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError:
        # Only a number out of range (or an integer of over 4300 digits) gets here; rare,
        # so the slower reader that names no limit of its own is good enough.
        try:
            return json.loads(data, parse_constant=_no_constant)
        except ValueError as exc:
            raise JSONTextError(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise JSONTextError(str(exc)) from None
    except (UnicodeEncodeError, UnicodeDecodeError) as exc:  # a lone surrogate, or bad bytes
        raise JSONTextError(f"not valid UTF-8 ({exc.reason})") from None
    except RecursionError:
        raise JSONTextError("nested too deeply") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def dumps(value: Any) -> bytes:
    """``value`` as JSON text, integers of any size written exactly (orjson raises on those
    beyond 64 bits), so the receiving end can refuse them by field.

    ValueError when ``value`` nests deeper than the encoder follows; TypeError when it
    holds something JSON has no form for.
    """
    try:
        return msgspec.json.encode(value)
    except RecursionError:
        raise ValueError("nested too deeply to be written as JSON") from None


# -- times ---------------------------------------------------------------------------------

_TIMESTAMP: Final = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[Tt ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<offset_hour>[0-9]{2}):(?P<offset_minute>[0-9]{2}))?)?",
    re.ASCII,
)
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
TIMESTAMP_EXAMPLE: Final = "2026-11-25T04:01:53.123456Z"
"""A timestamp in the one form every package writes (:func:`format_timestamp`)."""


def parse_timestamp(text: object, *, offset_required: bool = True) -> datetime.datetime:
    """The moment ``text`` names (an aware datetime in UTC); ValueError when it names none.

    ``offset_required=False`` (a setting, a bookmark) also takes a timestamp without an
    offset (UTC) or a date alone (midnight UTC).
    """
    if not isinstance(text, str):
        raise ValueError(f"must be an ISO 8601 timestamp string such as {TIMESTAMP_EXAMPLE}")
    match = _TIMESTAMP.fullmatch(text)
    if match is None or (offset_required and match["offset"] is None):
        needs = " with a UTC offset (Z or +HH:MM)" if offset_required else ""
        msg = f"must be an ISO 8601 timestamp{needs} such as {TIMESTAMP_EXAMPLE}"
        raise ValueError(f"{msg}: {_shown(text)}")
    fraction = match["fraction"] or ""
    if fraction[6:].strip("0"):
        msg = f"must have at most 6 fractional digits of a second (microseconds): {_shown(text)}"
        raise ValueError(msg)
    zone = datetime.UTC
    if match["sign"] is not None:
        hours, minutes = int(match["offset_hour"]), int(match["offset_minute"])
        if hours > 23 or minutes > 59:
            raise ValueError(f"must have an offset from -23:59 to +23:59: {_shown(text)}")
        offset = datetime.timedelta(hours=hours, minutes=minutes)
        zone = datetime.timezone(-offset if match["sign"] == "-" else offset)
    try:
        moment = datetime.datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            int(fraction[:6].ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError as exc:  # month 13, 30 February, hour 24, second 60, year 0
        raise ValueError(f"must be a real moment ({exc}): {_shown(text)}") from None
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        msg = (
            "must be within 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in UTC: "
            f"{_shown(text)}"
        )
        raise ValueError(msg) from None


def format_timestamp(moment: datetime.datetime) -> str:
    """``moment`` (aware) in the one form: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, 4-digit year.

    Not ``strftime("%Y")``, which writes year 1 as ``1`` on Linux (unsortable, and not ISO).
    """
    m = moment.astimezone(datetime.UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T"
        f"{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond:06d}Z"
    )


def canonical_timestamp(text: object, *, offset_required: bool = True) -> str:
    """``text`` as a timestamp in the one form (see :func:`parse_timestamp`)."""
    return format_timestamp(parse_timestamp(text, offset_required=offset_required))


def parse_date(text: object) -> datetime.date:
    """The calendar day ``text`` names as ``YYYY-MM-DD``; ValueError otherwise."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        shown = _shown(text) if isinstance(text, str) else "not a string"
        raise ValueError(f"must be a date YYYY-MM-DD: {shown}")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"must be a real calendar date YYYY-MM-DD: {_shown(text)}") from None
