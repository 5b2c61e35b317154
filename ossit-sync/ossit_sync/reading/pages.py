"""One Ossit list read as a sequence of resumable pages (nothing Singer-specific in here).

Ossit lists are ordered by `(updated_at, id)` and every write moves a record's
`updated_at` past every stamp already handed out in its domain, so ONE request sequence
(a first page, then `next_cursor` until it is null) sees every change committed before
its last answer, and every later change sorts after the last record it returned.

That holds per sequence, not across sequences. The `groups` setting reads each group
with a sequence of its own, and a small group's sequence may end long before a big
one's; a single bookmark taken from the merged stream would pass changes made to the
small group after its sequence ended, and the next run would never ask for them. So
each sequence keeps its own `Position`, and each is resumed from its own: no bookmark
ever passes a point its own sequence has not read up to.

A `Position` is the last `updated_at` read (the bookmark) and, while the sequence is
unfinished, the cursor of its next page. Resuming with the cursor continues at exactly
the page boundary the interrupted run would have read next (same pages, same records in
each), which lets a target recognise a resent batch as a replay. Without a cursor (the
sequence had finished, or the API refused the cursor) the read restarts at
`updated_since=<bookmark>` (inclusive) and drops the one record equal to the bookmark,
which the run that wrote the bookmark had already emitted.
"""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ossit_client import UnprocessableEntityError

from ossit_sync.reading.position import Position

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ossit_client import Paginator

Record = dict[str, t.Any]


@dataclass(frozen=True)
class Page:
    """The records of one answer to emit, and the position after them."""

    records: list[Record]
    position: Position


def read_pages(
    paginator: Callable[[str | None], Paginator],
    start: Position,
    *,
    already_emitted: str | None,
) -> Iterator[Page]:
    """Non-empty pages of one request sequence from `start`, the next fetched meanwhile.

    `paginator(since)` makes the sequence's `Paginator` with `updated_since=since`.
    `already_emitted` is the bookmark whose record an earlier run emitted (None when the
    start is a `start_date`, whose record no run emitted).
    """
    bookmark = start.bookmark
    for records, next_cursor in _prefetched(_answers(paginator, start, already_emitted)):
        if records:
            bookmark = records[-1]["updated_at"]
            yield Page(records, Position(bookmark, next_cursor))


def _answers(
    paginator: Callable[[str | None], Paginator], start: Position, already_emitted: str | None
) -> Iterator[tuple[list[Record], str | None]]:
    """`(records, next_cursor)` per answer, the record an earlier run emitted left out.

    A saved cursor continues after that record already; a cursor the API refuses (422
    naming `cursor`) restarts at the bookmark, which is always safe.
    """
    pages = paginator(start.bookmark)
    if start.cursor is not None:
        answers = pages.answers(start.cursor)
        try:
            first = next(answers, None)
        except UnprocessableEntityError as exc:
            if exc.field != "cursor":
                raise
        else:
            if first is not None:
                yield first
                yield from answers
            return
    answers = pages.answers()
    first = next(answers, None)
    if first is None:
        return
    records, next_cursor = first
    if records and already_emitted is not None and records[0]["updated_at"] == already_emitted:
        records = records[1:]
    yield records, next_cursor
    yield from answers


def _prefetched(
    answers: Iterator[tuple[list[Record], str | None]],
) -> Iterator[tuple[list[Record], str | None]]:
    """Yield answers while the next one is already being requested.

    The server builds page n+1 while the caller writes page n. Only one request is ever
    in flight and the iterator is advanced by one thread at a time, so the request
    sequence (and its count) is the same as a plain loop's.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ossit-prefetch") as pool:
        pending = pool.submit(next, answers, None)
        while (answer := pending.result()) is not None:
            pending = pool.submit(next, answers, None)
            yield answer
