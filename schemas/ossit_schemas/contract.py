"""The Ossit API's constants and naming rules, stated once for every package that speaks it.

The client, the tap, the target and the sandbox each used to restate the page and batch
limits, the interval types, the point methods and the id and name rules, so a change made in
one of them quietly disagreed with the others. They import them from here instead.

What the JSON Schemas state (the interval types, the longest name) is read from them, so the
record shapes and these constants cannot part. The rest is stated only by the OpenAPI
document, which is not parsed on import (YAML costs a quarter of a second); those values are
written here and ``tests/test_schemas.py`` fails when the document says otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ossit_schemas._documents import _record_schema

# -- lists and batches ---------------------------------------------------------------------

PAGE_SIZE_DEFAULT: Final = 100
"""Records per list page when a request gives no ``limit``."""

PAGE_SIZE_MAX: Final = 1000
"""The largest ``limit`` a list accepts; more is a 422 naming ``limit``."""

BATCH_SIZE_MAX: Final = 1000
"""Items per ``POST /v1/api/points/batch`` or ``/intervals/batch``; more is a 422."""

REQUEST_BODY_MAX_BYTES: Final = 64 * 1024 * 1024
"""The largest request body a server reads (a 413 beyond); a full batch is far below it."""

# -- rate limit and idempotency ------------------------------------------------------------

RATE_LIMIT_DEFAULT: Final = 1000
"""Requests per key per rolling window, unless the plan (or the sandbox's flag) says otherwise."""

RATE_LIMIT_WINDOW_SECONDS: Final = 3600
"""The rolling window of the rate limit."""

IDEMPOTENCY_TTL_SECONDS: Final = 24 * 3600
"""How long a repeated ``Idempotency-Key`` replays its first answer instead of applying again."""

IDEMPOTENCY_ANSWERS_KEPT: Final = 100_000
"""Answers kept per domain key; an older ``Idempotency-Key`` may be applied again."""

# -- record values -------------------------------------------------------------------------

INTERVAL_TYPES: Final[tuple[str, ...]] = tuple(
    _record_schema("intervals")["properties"]["type"]["enum"]
)
"""What an interval's ``type`` may be (from ``intervals.schema.json``)."""

METADATA_MAX_DEPTH: Final = 64
"""How deep an interval's ``metadata`` may nest; deeper is a 422 (JSON encoders stop near 255)."""

POINT_METHODS: Final[tuple[str, ...]] = ("set", "increment", "decrement", "add", "subtract")
"""How a write changes a day's value. ``delete`` is no method: batch items carry a flag."""

DEFAULT_POINT_METHOD: Final = "set"
"""The method of a point write that names none."""

POINT_METHODS_WITH_VALUE: Final = frozenset({"set", "add", "subtract"})
"""Methods that need a ``value`` (``increment`` and ``decrement`` change the day by 1)."""

NON_IDEMPOTENT_POINT_METHODS: Final = frozenset({"increment", "decrement", "add", "subtract"})
"""Methods that change the day again when applied again: a retry or replay of such a write
needs an ``Idempotency-Key`` (``set`` and deletes are harmless to repeat)."""

# -- ids and names -------------------------------------------------------------------------

ID_PREFIXES: Final[Mapping[str, str]] = MappingProxyType(
    {"statistic_groups": "grp_", "statistics": "stat_", "points": "pt_", "intervals": "int_"}
)
"""The prefix of each record type's ids (keyed like :data:`ossit_schemas.RECORD_TYPES`)."""

ID_MAX_DIGITS: Final = 18
"""Digits of an id's number at most: any 18-digit number fits a signed 64-bit integer."""

NAME_MAX_LENGTH: Final[int] = _record_schema("statistic_groups")["properties"]["name"]["maxLength"]
"""Characters of a name at most (from ``common.schema.json``); names are at least 1 long."""

# Not str.isdigit: it accepts digits of other scripts (U+0661 ARABIC-INDIC DIGIT ONE), which
# would give one id many spellings. [0-9] is ASCII only.
_ID_NUMBER = re.compile(f"[1-9][0-9]{{0,{ID_MAX_DIGITS - 1}}}")
_ID_FORM = re.compile(f"(?:{'|'.join(map(re.escape, ID_PREFIXES.values()))})[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PREFIX_TEXT = " or ".join(", ".join(ID_PREFIXES.values()).rsplit(", ", 1))  # a, b or c


def parse_id(kind: str, text: str) -> int | None:
    """The number behind ``text`` when it is an id of record type ``kind``, else None.

    An id is exactly the type's prefix and a number in ASCII digits without a leading zero
    (``pt_12``; not ``pt_012``, ``pt_0`` or ``pt_+1``), so every id has a single spelling.
    An unknown ``kind`` is a KeyError.
    """
    prefix = ID_PREFIXES[kind]
    if not text.startswith(prefix):
        return None
    number = text[len(prefix) :]
    return int(number) if _ID_NUMBER.fullmatch(number) else None


def is_id(kind: str, text: str) -> bool:
    """Whether ``text`` is an id of record type ``kind`` (see :func:`parse_id`)."""
    return parse_id(kind, text) is not None


def has_id_form(text: str) -> bool:
    """Whether ``text`` reads as an id of any type, leading zeros included (``stat_007``).

    No name may: a path segment or filter of that form means the id, so a name of that form
    could never be addressed, and a body could not tell it from an id.
    """
    return _ID_FORM.fullmatch(text) is not None


def name_problem(text: str) -> str | None:
    """Why ``text`` cannot be a group's or statistic's name, or None when it can.

    A name also travels as one URL-quoted path segment, so besides its length it must be
    something every HTTP client can put in a path and that no server reads as an id. The
    reason is worded to follow the field's name (``"name: must not ..."``).
    """
    if not text or len(text) > NAME_MAX_LENGTH:
        return f"must be a non-empty string of at most {NAME_MAX_LENGTH} characters"
    if "/" in text:
        return "must not contain '/': a name is one path segment, and %2F is decoded before routing"
    if text in (".", ".."):
        return "must not be '.' or '..': HTTP clients remove such path segments"
    if _CONTROL.search(text):
        return (
            "must not contain control characters (U+0000 to U+001F, U+007F):"
            " they cannot travel safely in a path or a log line"
        )
    if has_id_form(text):
        return (
            f"must not have the form of an id ({_PREFIX_TEXT} followed by digits):"
            " in a path that form means the id, and a body takes names only"
        )
    return None
