"""Lazy iteration over a list endpoint, one request per page, following ``next_cursor``.

Each page is checked before the tap turns it into bookmarks and saved cursors: its shape, and
that the sequence ends -- a repeated cursor, or pages not moving forward in ``(updated_at,
id)``, would be read forever and saved as a state that loops. Per page that costs the
containers' types and one parsed ``updated_at``; seen cursors are kept as short digests.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidAnswerError, PaginationError

if TYPE_CHECKING:
    from ._base_client import BaseClient

Record = dict[str, Any]
_Position = tuple[datetime.datetime, object]

#: The longest ``next_cursor`` accepted: far above a keyset cursor, far below what would make
#: the next URL one that servers and proxies refuse (typically 8 KB).
MAX_CURSOR_CHARS = 2048


def list_records(answer: Record, method: str, path: str) -> list[Record]:
    """``answer["data"]`` when it is a list of objects, else ``InvalidAnswerError``."""
    if "data" not in answer:
        raise InvalidAnswerError(method, path, "the answer has no `data`")
    records = answer["data"]
    if type(records) is not list:
        raise InvalidAnswerError(method, path, f"`data` is {_kind(records)}, not a list")
    if not set(map(type, records)) <= {dict}:
        index = next(i for i, record in enumerate(records) if type(record) is not dict)
        raise InvalidAnswerError(
            method, path, f"`data[{index}]` is {_kind(records[index])}, not an object"
        )
    return records


def list_page(answer: Record, method: str, path: str) -> tuple[list[Record], str | None]:
    """``(records, next_cursor)`` of one list answer (an empty cursor is null)."""
    records = list_records(answer, method, path)
    if "next_cursor" not in answer:
        raise InvalidAnswerError(method, path, "the answer has no `next_cursor`")
    next_cursor = answer["next_cursor"]
    if next_cursor is not None and type(next_cursor) is not str:
        raise InvalidAnswerError(
            method, path, f"`next_cursor` is {_kind(next_cursor)}, not a string or null"
        )
    if next_cursor is not None and len(next_cursor) > MAX_CURSOR_CHARS:
        raise InvalidAnswerError(
            method,
            path,
            f"`next_cursor` is {len(next_cursor)} characters long, more than any API cursor "
            f"(at most {MAX_CURSOR_CHARS} are accepted)",
        )
    return records, next_cursor or None


def _digest(cursor: str) -> bytes:
    """A cursor's short fingerprint."""
    return hashlib.blake2b(cursor.encode(), digest_size=16).digest()


def _kind(value: Any) -> str:
    """How a JSON value is named in a message (never the value itself)."""
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number"}
    return names.get(type(value), "a number" if type(value) is float else type(value).__name__)


def last_position(records: list[Record], method: str, path: str) -> _Position:
    """The ``(updated_at, id)`` of a page's last record, the key every list is ordered by."""
    stamp = records[-1].get("updated_at")
    if type(stamp) is not str:
        raise InvalidAnswerError(
            method, path, f"the page's last record has no `updated_at` string (got {_kind(stamp)})"
        )
    try:
        moment = datetime.datetime.fromisoformat(stamp)
    except ValueError:
        raise InvalidAnswerError(
            method, path, "the page's last record's `updated_at` is not an ISO 8601 time"
        ) from None
    return moment.replace(tzinfo=moment.tzinfo or datetime.UTC), records[-1].get("id")


class Paginator:
    """Iterating yields the decoded record objects (no wrapping: the tap's hot path), from
    the first page each time; ``pages()`` one list per request."""

    def __init__(
        self,
        client: BaseClient,
        template: str,
        params: Mapping[str, Any],
        path_params: Mapping[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._template = template
        self._params = dict(params)
        self._path_params = path_params

    def pages(self) -> Iterator[list[Record]]:
        return (records for records, _next_cursor in self.answers())

    def answers(self, cursor: str | None = None) -> Iterator[tuple[list[Record], str | None]]:
        """``(records, next_cursor)`` per request from ``cursor``: a reader may stop and resume
        there later (keyset cursors keep), and never gets a cursor that loops: ``PaginationError``
        on a cursor seen before, an empty page announcing another, or a last record not after
        the previous page's (ids are opaque: only an equal one counts as not after)."""
        path = self._client.path_of(self._template, self._path_params)
        params = dict(self._params)
        seen: set[bytes] = set()
        if cursor:
            params["cursor"] = cursor
            seen.add(_digest(cursor))
        previous: _Position | None = None
        while True:
            answer = self._client.request(
                "GET", self._template, path_params=self._path_params, params=params
            )
            records, next_cursor = list_page(answer, "GET", path)
            if next_cursor is not None:
                if (digest := _digest(next_cursor)) in seen:
                    raise PaginationError("GET", path, "`next_cursor` repeats an earlier cursor")
                seen.add(digest)
            if records:
                position = last_position(records, "GET", path)
                if previous is not None and (position[0] < previous[0] or position == previous):
                    raise PaginationError(
                        "GET",
                        path,
                        "the page does not advance: its last (updated_at, id) is not after "
                        "the previous page's",
                    )
                previous = position
            elif next_cursor is not None:
                raise PaginationError("GET", path, "an empty page announces a next page")
            yield records, next_cursor
            if next_cursor is None:
                return
            params["cursor"] = next_cursor

    def __iter__(self) -> Iterator[Record]:
        for page in self.pages():
            yield from page
