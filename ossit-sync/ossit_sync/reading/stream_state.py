"""A stream's saved state: the position of each request sequence the reader makes.

Protocol-neutral: source-ossit keeps it as an Airbyte per-stream state, ossit-dlt in dlt's
resource state. The blob of one stream is ``{"updated_at": bookmark, "next_page": {...}}``
when the kind is read as one sequence, and ``{"groups": {name: {...the same...}}}`` when
the ``groups`` setting reads each group as a sequence of its own (see
``ossit_sync.reading``): the same fields as tap-ossit's Singer state, so one reads like the
other.

Changing ``groups`` between runs never skips a record: a group without a position of its
own starts from the whole kind's bookmark (kept beside the groups' positions), which
covered it too; a whole-kind read after per-group ones resumes from that bookmark, or
starts over, since no group's bookmark covers the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ossit_sync.reading.ownership import STATE_ORIGIN
from ossit_sync.reading.position import Position, Start, api_timestamp, later

if TYPE_CHECKING:
    from ossit_sync.reading.reader import KindReader

BOOKMARK = "updated_at"
NEXT_PAGE = "next_page"
GROUPS = "groups"


class StreamState:
    """The positions of one stream's sequences, as saved and as read so far, and the origin
    (domain and server) they were read from (see ``ossit_sync.reading.ownership``)."""

    def __init__(self, saved: dict[str, Any], reader: KindReader) -> None:
        self._reader = reader
        self._origin = saved.get(STATE_ORIGIN)
        groups = saved.get(GROUPS)
        self._groups: dict[str, dict[str, Any]] = {
            name: part
            for name, part in (groups.items() if isinstance(groups, dict) else ())
            if isinstance(part, dict)
        }
        self._whole = {key: saved[key] for key in (BOOKMARK, NEXT_PAGE) if key in saved}

    def start(self, group: str | None, start_date: str | None) -> Start:
        """Where the sequence of ``group`` (None: the whole kind) starts.

        A state of another domain or server is refused (``ForeignStateError``).
        """
        if group is None:
            part = self._whole
        else:  # the whole kind's cursor continues another sequence: never a group's
            part = self._groups.get(group) or {BOOKMARK: self._whole.get(BOOKMARK)}
        bookmark = part.get(BOOKMARK)
        if bookmark is not None:
            if not isinstance(bookmark, str):
                raise ValueError(f"bookmark {bookmark!r} is not a timestamp")
            try:
                api_timestamp(bookmark)
            except ValueError:
                raise ValueError(f"bookmark {bookmark!r} is not a timestamp") from None
        return self._reader.start(
            group,
            later(bookmark, start_date),
            {**part, STATE_ORIGIN: self._origin},
            bookmark=bookmark,
            cursor_key=NEXT_PAGE,
            origin_key=STATE_ORIGIN,
        )

    def advance(self, group: str | None, position: Position) -> None:
        """Record that the sequence of ``group`` has read up to ``position``."""
        part: dict[str, Any] = {BOOKMARK: position.bookmark}
        if (next_page := position.to_state(self._reader.signer)) is not None:
            part[NEXT_PAGE] = next_page
        if group is None:
            self._whole = part
        else:
            self._groups[group] = part

    def blob(self) -> dict[str, Any]:
        """The state to save now, with the origin it belongs to."""
        origin = {STATE_ORIGIN: str(self._reader.origin)}
        if self._groups:
            whole = {BOOKMARK: self._whole[BOOKMARK]} if self._whole.get(BOOKMARK) else {}
            return {**origin, **whole, GROUPS: dict(self._groups)}
        return {**origin, **self._whole}
