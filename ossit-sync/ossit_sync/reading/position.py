"""Where a request sequence stands, and where a run resumes it (see ``pages``).

A ``Position`` is the last ``updated_at`` read (the bookmark) and, while the sequence is
unfinished, the cursor of its next page. ``resume`` turns what a state saved into the
position a run starts from, and says which record an earlier run already emitted.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

from ossit_schemas import values

if t.TYPE_CHECKING:
    from ossit_client import Signer

_CURSOR = re.compile(r"[A-Za-z0-9_\-.~=+/]{1,2048}")
"""What a cursor kept in a state may look like (an opaque token, sent back as a query)."""


@dataclass(frozen=True)
class Position:
    """How far one request sequence has read: its bookmark and its next page's cursor."""

    bookmark: str | None = None
    """`updated_at` of the last record read (None: nothing read yet)."""
    cursor: str | None = None
    """The next page's cursor, while the sequence has more pages; None once it ended."""

    def to_state(self, signer: Signer) -> dict[str, str] | None:
        """The cursor part as kept in a state: tied to the bookmark it continues, and
        signed for this domain (see ``ownership``)."""
        if self.cursor is None or self.bookmark is None:
            return None
        return {
            "after": self.bookmark,
            "cursor": self.cursor,
            "signature": signer.sign(self.bookmark, self.cursor),
        }

    @classmethod
    def from_state(cls, bookmark: str | None, saved: object, signer: Signer) -> Position:
        """A position from a state's bookmark and its saved cursor part.

        The cursor is used only when it continues that very bookmark, looks like a cursor
        and carries this domain's signature over both: a state merged from several runs,
        edited by hand, written by another domain or by a version that did not sign, then
        falls back to the bookmark alone, which is always safe.
        """
        cursor = None
        if (
            isinstance(saved, dict)
            and bookmark is not None
            and saved.get("after") == bookmark
            and isinstance(saved.get("cursor"), str)
            and _CURSOR.fullmatch(saved["cursor"])
            and signer.verify(saved.get("signature"), bookmark, saved["cursor"])
        ):
            cursor = saved["cursor"]
        return cls(bookmark, cursor)


def api_timestamp(value: str) -> str:
    """A bookmark or start date in the API's own form, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    One fixed-width form (a 4-digit year even before 1000), so comparing two of them as
    text compares the times. Without an offset a value is UTC, a date alone its midnight;
    anything else is a ValueError (``ossit_schemas.values``).
    """
    return values.canonical_timestamp(value, offset_required=False)


def later(bookmark: str | None, start_date: str | None) -> str | None:
    """Where a read starts: the later of a saved bookmark and the ``start_date`` setting."""
    if bookmark is None or start_date is None:
        return bookmark or start_date
    return max(bookmark, start_date, key=api_timestamp)


@dataclass(frozen=True)
class Start:
    """Where a read starts, and the bookmark whose record an earlier run emitted."""

    position: Position
    already_emitted: str | None = None


def resume(since: str | None, bookmark: str | None, saved_cursor: object, signer: Signer) -> Start:
    """The start of a read from ``since`` (the later of bookmark and start date).

    When ``since`` is the saved bookmark, the record at it was emitted by the run that
    wrote it (not so a start date's), and the saved cursor, if it continues that very
    bookmark, resumes right after it.
    """
    if since is None:
        return Start(Position())
    since = api_timestamp(since)
    if bookmark is not None and since == api_timestamp(bookmark):
        saved = Position.from_state(bookmark, saved_cursor, signer)
        return Start(Position(since, saved.cursor), already_emitted=since)
    return Start(Position(since))
