"""What an id is, and what a name may not look like, so a path segment is never ambiguous.

An id is exactly ``<prefix><ASCII digits without a leading zero>`` (at most 18 digits, so it
fits SQLite's integer). A group or statistic name may not have the form of any id (one of
the prefixes followed by ASCII digits, leading zeros included), so a path segment that
parses as an id means that id and anything else means a name: no request can reach an
object by the other reading. ``str.isdigit`` is not used on purpose: it accepts digits of
other scripts (``grp_`` + U+0661 ARABIC-INDIC DIGIT ONE) and would give one id many spellings.
"""

from __future__ import annotations

import re

PREFIXES = ("grp_", "stat_", "pt_", "int_")

_CANONICAL_DIGITS = re.compile(r"[1-9]\d{0,17}", re.ASCII)
_ID_FORM = re.compile(r"(?:grp|stat|pt|int)_\d+", re.ASCII)


def parse_id(text: str, prefix: str) -> int | None:
    """The integer behind an id such as ``pt_12``; None for anything else (``pt_012`` too)."""
    if not text.startswith(prefix):
        return None
    digits = text[len(prefix) :]
    return int(digits) if _CANONICAL_DIGITS.fullmatch(digits) else None


def ref_column(ref: str, prefix: str) -> tuple[str, str | int]:
    """Which column a path segment or list filter matches: ``("id", n)`` or ``("name", ref)``.

    One reading only, never both: an id-shaped ``ref`` that is no live object is a 404 (or
    an empty list), not a second try by name.
    """
    rid = parse_id(ref, prefix)
    return ("name", ref) if rid is None else ("id", rid)


def has_id_form(name: str) -> bool:
    """Whether ``name`` reads as an id of any type (which no name may do)."""
    return _ID_FORM.fullmatch(name) is not None
