"""A list sequence always ends, and every list answer is checked before it is handed out.

Against a misbehaving server: a cursor that comes back, pages that do not move forward in
``(updated_at, id)`` order, 200 answers of the wrong shape. Each must raise an ``OssitError``
naming the endpoint and what is wrong, after a bounded number of requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ossit_client as oc
import pytest

pytestmark = pytest.mark.timeout(30)

POINTS = "/v1/api/points"


def record(n: int, *, stamp: int | None = None) -> dict[str, Any]:
    """A point-like record; ``stamp`` sets its updated_at second (default ``n``)."""
    second = n if stamp is None else stamp
    return {"id": f"pt_{n}", "updated_at": f"2026-01-01T00:{second // 60:02d}:{second % 60:02d}Z"}


def serve_pages(pages: list[dict[str, Any]], loop_from: int | None = None) -> Callable:
    """A handler answering the n-th request with ``pages[n]`` (or, past the end, again from
    ``loop_from``), so a client that never stops would be served forever."""

    def handler(exchange: Any) -> None:
        index = exchange.number - 1
        if index >= len(pages) and loop_from is not None:
            index = loop_from + (index - loop_from) % (len(pages) - loop_from)
        exchange.answer(200, pages[min(index, len(pages) - 1)])

    return handler


@pytest.mark.parametrize(
    "pages",
    [
        # the same cursor again and again, records moving forward
        [{"data": [record(n)], "next_cursor": "same"} for n in range(1, 50)],
        # a cycle of two cursors
        [{"data": [record(n)], "next_cursor": f"c{n % 2}"} for n in range(1, 50)],
        # back to the first page's cursor after a few
        [{"data": [record(n)], "next_cursor": f"c{n % 4}"} for n in range(1, 50)],
    ],
    ids=["same", "cycle-of-2", "cycle-of-4"],
)
def test_a_repeated_cursor_ends_the_sequence(
    hostile: Callable, fast_client: Callable, pages: list[dict[str, Any]]
) -> None:
    server = hostile(serve_pages(pages))
    client = fast_client(server)
    with pytest.raises(oc.PaginationError, match=f"GET {POINTS}: `next_cursor` repeats"):
        list(client.points.list())
    assert server.count <= 5


def test_a_resumed_sequence_that_hands_back_its_start_cursor_ends(
    hostile: Callable, fast_client: Callable
) -> None:
    server = hostile(lambda exchange: exchange.answer(200, {"data": [], "next_cursor": "start"}))
    answers = fast_client(server).points.list().answers("start")
    with pytest.raises(oc.PaginationError, match="repeats"):
        next(answers)
    assert server.requests[0].query["cursor"] == "start"


@pytest.mark.parametrize(
    "pages",
    [
        # the same page again, with a fresh cursor each time
        [{"data": [record(1), record(2)], "next_cursor": f"c{n}"} for n in range(50)],
        # a page that goes back in time
        [
            {"data": [record(5)], "next_cursor": "a"},
            {"data": [record(3)], "next_cursor": "b"},
        ],
        # one updated_at spelled two ways is one moment: not an advance
        [
            {"data": [record(7)], "next_cursor": "a"},
            {"data": [{"id": "pt_7", "updated_at": "2026-01-01T00:00:07.000000+00:00"}],
             "next_cursor": "b"},
        ],
        # an empty page that promises another
        [{"data": [], "next_cursor": f"c{n}"} for n in range(50)],
    ],
    ids=["same-page", "backwards", "same-moment-other-spelling", "empty-with-cursor"],
)  # fmt: skip
def test_pages_that_do_not_advance_end_the_sequence(
    hostile: Callable, fast_client: Callable, pages: list[dict[str, Any]]
) -> None:
    server = hostile(serve_pages(pages, loop_from=0))
    with pytest.raises(oc.PaginationError, match=f"GET {POINTS}: .*(advance|announces)"):
        list(fast_client(server).points.list())
    assert server.count <= 2


def test_pages_sharing_an_updated_at_with_other_ids_are_accepted(
    hostile: Callable, fast_client: Callable
) -> None:
    # ids are opaque: only an equal one is known not to advance
    pages = [
        {"data": [record(1), record(9, stamp=5)], "next_cursor": "a"},
        {"data": [record(10, stamp=5)], "next_cursor": "b"},
        {"data": [record(11, stamp=6)], "next_cursor": None},
    ]
    server = hostile(serve_pages(pages))
    ids = [r["id"] for r in fast_client(server).points.list()]
    assert ids == ["pt_1", "pt_9", "pt_10", "pt_11"]


def test_a_well_formed_sequence_reads_every_page(hostile: Callable, fast_client: Callable) -> None:
    pages = [{"data": [record(n)], "next_cursor": f"c{n}"} for n in range(1, 30)]
    pages.append({"data": [], "next_cursor": None})
    server = hostile(serve_pages(pages))
    assert len(list(fast_client(server).points.list())) == 29
    assert server.count == 30


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "the 200 answer is empty"),
        (b"not json", "the 200 answer is not JSON"),
        (b"null", "not a JSON object"),
        (b"[]", "not a JSON object"),
        (b'"data"', "not a JSON object"),
        (b"-1", "not a JSON object"),
        ({"next_cursor": None}, "the answer has no `data`"),
        ({"data": None, "next_cursor": None}, "`data` is null, not a list"),
        ({"data": "x", "next_cursor": None}, "`data` is a string, not a list"),
        ({"data": {"0": {}}, "next_cursor": None}, "`data` is an object, not a list"),
        ({"data": [1], "next_cursor": None}, r"`data\[0\]` is a number, not an object"),
        ({"data": [record(1), None], "next_cursor": None}, r"`data\[1\]` is null"),
        ({"data": [record(1), [record(2)]], "next_cursor": None}, r"`data\[1\]` is a list"),
        ({"data": []}, "the answer has no `next_cursor`"),
        ({"data": [], "next_cursor": 5}, "`next_cursor` is a number, not a string or null"),
        ({"data": [], "next_cursor": ["c"]}, "`next_cursor` is a list"),
        ({"data": [{"id": "pt_1"}], "next_cursor": None}, "last record has no `updated_at`"),
        ({"data": [{"id": "a", "updated_at": 5}], "next_cursor": None}, "no `updated_at` string"),
        ({"data": [{"updated_at": "yesterday"}], "next_cursor": None}, "not an ISO 8601 time"),
    ],
)
def test_a_malformed_list_answer_is_a_clear_error(
    hostile: Callable, fast_client: Callable, body: Any, problem: str
) -> None:
    server = hostile(lambda exchange: exchange.answer(200, body))
    with pytest.raises(oc.InvalidAnswerError, match=f"^GET {POINTS}: .*{problem}"):
        list(fast_client(server).points.list())
    assert server.count == 1  # a server answering nonsense is not asked again


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", {"points": []}, {"data": {"a": 1}}, {"data": [[]]}],
)
def test_a_malformed_batch_answer_is_a_clear_error(
    hostile: Callable, fast_client: Callable, body: Any
) -> None:
    server = hostile(lambda exchange: exchange.answer(200, body))
    with pytest.raises(oc.InvalidAnswerError, match=r"^POST /v1/api/points/batch: "):
        fast_client(server).points.batch([{"group": "g"}])
