"""What a server sends is bounded in what it can make the client do: wait, hold, or log.

An error answer's text goes into exception messages and log lines: it is cut, its control
characters escaped (no forged log lines, no terminal escapes), its items listed up to a few
and kept only when they are objects. A cursor goes back into the next URL and the tap's state:
an absurdly long one is refused. Answers that never end -- interim answers without end, a
trailer without end -- end with the attempt's deadline.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ossit_client as oc
import pytest
from hostile_server import Exchange
from ossit_client import ClientOptions
from ossit_client._exceptions import MAX_LISTED_ITEMS, MAX_SERVER_NAME, MAX_SERVER_TEXT
from ossit_client._pagination import MAX_CURSOR_CHARS

#: "Does not hang" is pytest-timeout's: an answer that never ends would run past it.
pytestmark = pytest.mark.timeout(30)


def test_a_flooding_error_answer_gives_a_bounded_printable_message(
    hostile: Callable, fast_client: Callable, hostile_key: str
) -> None:
    forged = "\n2026-11-29 INFO | tap_ossit | all good\x1b[2J\u202e"
    body = {
        "error": {
            "code": "c" * 100_000,
            "message": "bad" + forged + "m" * 1_000_000,
            "field": ["not", "a", "string"],
            "items": [
                7,
                "text",
                None,
                *(
                    {"index": n, "field": "value", "message": f"no {hostile_key}{forged}"}
                    for n in range(5000)
                ),
            ],
        }
    }
    server = hostile(lambda exchange: exchange.answer(422, body))
    client = fast_client(server)
    with pytest.raises(oc.UnprocessableEntityError) as caught:
        client.points.batch([{"group": "g"}])
    error = caught.value
    text = str(error)
    bound = 6 * (MAX_SERVER_NAME + MAX_SERVER_TEXT * (1 + MAX_LISTED_ITEMS)) + 1000
    assert len(text) < bound
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text
    assert "bad\\n2026-11-29 INFO | tap_ossit | all good\\x1b[2J\\u202e" in text
    assert f"and {5000 - MAX_LISTED_ITEMS} more" in text
    assert hostile_key not in text
    assert error.field is None
    assert error.code is not None and len(error.code) < 2 * MAX_SERVER_NAME
    # every object among the items is kept for the caller, with the key masked
    assert len(error.items) == 5000
    assert all(type(item) is dict for item in error.items)
    assert error.items[0]["message"].startswith("no ***\n")


def test_a_key_at_the_cut_is_masked_whole(
    hostile: Callable, fast_client: Callable, hostile_key: str
) -> None:
    message = "x" * (MAX_SERVER_TEXT - 5) + hostile_key
    server = hostile(lambda exchange: exchange.answer(400, {"error": {"message": message}}))
    with pytest.raises(oc.BadRequestError) as caught:
        fast_client(server).statistic_groups.get("g")
    assert hostile_key[:5] not in str(caught.value)
    assert hostile_key[:5] not in caught.value.message


def test_an_absurdly_long_cursor_is_refused_not_sent(
    hostile: Callable, fast_client: Callable
) -> None:
    record = {"id": "1", "updated_at": "2026-11-25T04:01:53.123456Z"}
    cursor = "c" * (MAX_CURSOR_CHARS + 1)
    server = hostile(
        lambda exchange: exchange.answer(200, {"data": [record], "next_cursor": cursor})
    )
    with pytest.raises(oc.InvalidAnswerError, match="`next_cursor` is 2049 characters long"):
        list(fast_client(server).points.list())
    assert server.count == 1


def test_a_cursor_at_the_limit_is_followed(hostile: Callable, fast_client: Callable) -> None:
    cursor = "c" * MAX_CURSOR_CHARS

    def handler(exchange: Exchange) -> None:
        first = "cursor" not in exchange.request.query
        record = {"id": str(exchange.number), "updated_at": f"2026-11-25T04:0{exchange.number}:00Z"}
        exchange.answer(200, {"data": [record], "next_cursor": cursor if first else None})

    server = hostile(handler)
    assert len(list(fast_client(server).points.list())) == 2
    assert server.requests[1].query["cursor"] == cursor


def endless_interim_answers(exchange: Exchange) -> bool:
    while exchange.pause(0.05):
        exchange.send(b"HTTP/1.1 100 Continue\r\n\r\n")
    return False


def endless_trailer(exchange: Exchange) -> bool:
    exchange.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n")
    while exchange.pause(0.05):
        exchange.send(b"X-Trailer: more\r\n")
    return False


@pytest.mark.parametrize("handler", [endless_interim_answers, endless_trailer])
def test_an_answer_that_never_ends_ends_with_the_deadline(
    hostile: Callable, fast_client: Callable, handler: Callable[[Exchange], bool]
) -> None:
    server = hostile(handler)
    client = fast_client(server, timeout=0.5, answer_timeout=1.0, max_retries=0)
    # a byte every 0.05 s, within `timeout`: only the whole-answer deadline can end it
    with pytest.raises(oc.APITimeoutError, match=r"1\.0 s"):
        client.statistic_groups.get("g")
    assert server.count == 1


@pytest.mark.parametrize(
    "options",
    [
        {"backoff_base": math.inf},
        {"backoff_max": math.inf},
        {"backoff_max": math.nan},
        {"max_retry_wait": math.inf},
        {"max_retry_wait": math.nan},
    ],
)
def test_unbounded_retry_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="finite"):
        ClientOptions(**options)
