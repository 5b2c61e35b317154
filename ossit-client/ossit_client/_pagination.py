"""Lazy iteration over a list endpoint, one request per page, following ``next_cursor``.

Each answer is checked before its records are handed out, because the tap turns them into
bookmarks and saved cursors: a list answer is an object whose ``data`` is a list of objects
and whose ``next_cursor`` is a string or null, and a request sequence must end. A server that
repeats a cursor, or pages that do not move forward in the ``(updated_at, id)`` order every
list follows, would otherwise be read forever (and the tap would save a state that loops).

The checks cost little per page, since the tap lists over 100,000 records a second: the
containers' types, and one ``updated_at`` -- the last record's -- parsed per page.

A cursor is sent back in the next URL and saved in the tap's state, so one longer than
``MAX_CURSOR_CHARS`` (an API cursor is a few dozen characters) is refused rather than sent;
cursors already seen are remembered by a short digest, so a long sequence costs little memory.
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


def list_records(answer: Any, method: str, path: str) -> list[Record]:
    """``answer["data"]`` when it is a list of objects, else ``InvalidAnswerError``."""
    if type(answer) is not dict:
        raise InvalidAnswerError(method, path, f"the answer is {_kind(answer)}, not an object")
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


def list_page(answer: Any, method: str, path: str) -> tuple[list[Record], str | None]:
    """``(records, next_cursor)`` of one list answer, or ``InvalidAnswerError``.

    An empty ``next_cursor`` counts as null, as it always has.
    """
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
    """A cursor's short fingerprint, to remember it without keeping it."""
    return hashlib.blake2b(cursor.encode(), digest_size=16).digest()


def _kind(value: Any) -> str:
    """How a JSON value is named in a message (never the value itself: it may be anything)."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if type(value) in (int, float):
        return "a number"
    return names.get(type(value), type(value).__name__)


def last_position(records: list[Record], method: str, path: str) -> _Position:
    """The ``(updated_at, id)`` of a page's last record, the key every list is ordered by."""
    last = records[-1]
    stamp = last.get("updated_at")
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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment, last.get("id")


class Paginator:
    """Iterating yields record dicts; ``pages()`` yields one ``list[dict]`` per request.

    Nothing is requested until iteration starts, and each new iteration starts again from the
    first page. Records are the decoded JSON objects themselves (no per-record wrapping), so
    the tap's hot path costs one ``orjson.loads`` per page.
    """

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

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """One list of records per request, until the server says nothing more exists."""
        for records, _next_cursor in self.answers():
            yield records

    def answers(
        self, cursor: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        """``(records, next_cursor)`` per request, from ``cursor`` (or the first page) on.

        A reader that stops mid-way keeps ``next_cursor`` to continue later at exactly the
        same page boundary: a keyset cursor stays valid however long it is kept. A page is
        checked before it is yielded (``InvalidAnswerError``, ``PaginationError``), so a
        reader never keeps a cursor that would loop.
        """
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
            previous = self._check_progress(path, records, next_cursor, previous, seen)
            yield records, next_cursor
            if next_cursor is None:
                return
            params["cursor"] = next_cursor

    @staticmethod
    def _check_progress(
        path: str,
        records: list[Record],
        next_cursor: str | None,
        previous: _Position | None,
        seen: set[bytes],
    ) -> _Position | None:
        """The page's last position, or ``PaginationError`` if the sequence would not end.

        A keyset cursor encodes the last record's position, so a next page must start after
        it: a cursor sent before, an empty page that announces another, or a last record at
        or before the previous page's last, means the server serves the same ground again.
        Two positions with one ``updated_at`` and different ids are let through: ids are
        opaque, so only their equality is known.
        """
        if next_cursor is not None:
            digest = _digest(next_cursor)
            if digest in seen:
                raise PaginationError("GET", path, "`next_cursor` repeats an earlier cursor")
            seen.add(digest)
        if not records:
            if next_cursor is not None:
                raise PaginationError("GET", path, "an empty page announces a next page")
            return previous
        position = last_position(records, "GET", path)
        if previous is not None and (
            position[0] < previous[0] or (position[0] == previous[0] and position[1] == previous[1])
        ):
            raise PaginationError(
                "GET",
                path,
                "the page does not advance: its last (updated_at, id) is not after "
                "the previous page's",
            )
        return position

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for page in self.pages():
            yield from page
