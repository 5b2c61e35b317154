"""Every attempt ends in bounded time and memory, and every failure leaves as an OssitError.

Against a misbehaving server: an answer dripped a byte at a time (status line, headers or
body, each byte well within the per-read timeout), a small gzip answer that inflates to far
more than ``max_answer_bytes``, and the many ways an exchange can break below HTTP.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import ossit_client as oc
import pytest
from recorded_waits import Waits

pytestmark = pytest.mark.timeout(60)

GROUPS = "/v1/api/statistic-groups"
MiB = 1024 * 1024


def drip(data: bytes, every: float) -> Callable[[Any], bool]:
    """A handler sending ``data`` one byte per ``every`` seconds (then closing)."""

    def handler(exchange: Any) -> bool:
        for byte in data:
            exchange.send(bytes([byte]))
            if not exchange.pause(every):
                break
        return False

    return handler


ANSWER = b'HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n{"data": [], "next_cursor": null}'


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (ANSWER, "everything"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * 10_000, "headers"),
        (ANSWER[: ANSWER.index(b"\r\n\r\n") + 4], "body"),
    ],
    ids=["everything", "headers", "body"],
)
def test_a_dripped_answer_times_out_as_a_whole(
    hostile: Callable, fast_client: Callable, waits: Waits, data: bytes, what: str
) -> None:
    if what == "body":
        head = data

        def handler(exchange: Any) -> bool:
            exchange.send(head)
            while exchange.pause(0.2):
                exchange.send(b" ")
            return False

        server = hostile(handler)
    else:
        server = hostile(drip(data, 0.2))
    # each byte arrives well within `timeout`; only the whole-answer deadline can end this
    # (the drip of "everything" would complete after 14 s; the others never end)
    client = fast_client(server, timeout=2.0, answer_timeout=1.0, max_retries=1)
    with pytest.raises(oc.APITimeoutError, match=r"^GET /v1/api/statistic-groups: .*1\.0 s"):
        list(client.statistic_groups.list())
    assert client.counters.retries_by_reason == {"timeout": 1}
    assert server.count == 2
    # between the two attempts, one short backoff (backoff_max 0.05 s) and nothing else
    assert len(waits.retry) == 1 and waits.retry[0] <= 0.05
    assert waits.budget == []


def test_a_chunked_answer_dripped_a_chunk_at_a_time_times_out(
    hostile: Callable, fast_client: Callable
) -> None:
    def handler(exchange: Any) -> bool:
        exchange.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while exchange.pause(0.05):
            exchange.send(b"1\r\n \r\n")
        return False

    server = hostile(handler)
    client = fast_client(server, answer_timeout=0.5, max_retries=0)
    # the chunks never end: only the whole-answer deadline (0.5 s) can end the attempt
    with pytest.raises(oc.APITimeoutError, match=r"0\.5 s"):
        client.statistic_groups.get("g")
    assert server.count == 1


def test_the_default_answer_timeout_follows_timeout() -> None:
    client = oc.OssitClient("k" * 20, base_url="http://127.0.0.1:9", timeout=7.0)
    try:
        assert client.limits.seconds == 28.0
        assert client.limits.max_bytes == 256 * MiB
    finally:
        client.close()


def bomb(size: int, wbits: int) -> bytes:
    """``size`` zero bytes, compressed about 1000 times (gzip: wbits 31, deflate: 15)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(MiB)
    parts = [packer.compress(block) for _ in range(size // MiB)]
    return b"".join([*parts, packer.flush()])


BOMBS = {"gzip": bomb(64 * MiB, 31), "deflate": bomb(64 * MiB, 15)}


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_decompression_bomb_stops_at_the_cap(
    hostile: Callable, fast_client: Callable, encoding: str
) -> None:
    body = BOMBS[encoding]
    server = hostile(lambda exchange: exchange.answer(200, body, {"Content-Encoding": encoding}))
    client = fast_client(server, max_answer_bytes=MiB)
    tracemalloc.start()
    try:
        with pytest.raises(oc.AnswerTooLargeError) as caught:
            list(client.statistic_groups.list())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value).startswith(f"GET {GROUPS}: ")
    assert f"max_answer_bytes ({MiB} bytes" in str(caught.value)
    assert isinstance(caught.value, oc.InvalidAnswerError)
    assert server.count == 1  # never retried
    assert peak < 8 * MiB  # the cap and a chunk or two, not the 64 MiB it inflates to


def test_a_declared_length_past_the_cap_fails_before_reading(
    hostile: Callable, fast_client: Callable
) -> None:
    def handler(exchange: Any) -> bool:
        exchange.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n")
        exchange.pause(30)  # nothing more: reading would wait for the deadline
        return False

    server = hostile(handler)
    client = fast_client(server, answer_timeout=20.0)
    # reading the body would end in a timeout (nothing comes), never in this error: the
    # declared length alone refused the answer, and it was not retried
    with pytest.raises(oc.AnswerTooLargeError, match="declares 10000000000 bytes"):
        client.statistic_groups.get("g")
    assert server.count == 1


def test_an_answer_within_the_cap_is_read(hostile: Callable, fast_client: Callable) -> None:
    page = {"data": [{"id": "grp_1", "updated_at": "2026-01-01T00:00:00Z"}], "next_cursor": None}
    packed = gzip.compress(b" " * (MiB - 200) + json.dumps(page).encode())
    server = hostile(lambda exchange: exchange.answer(200, packed, {"Content-Encoding": "gzip"}))
    assert len(list(fast_client(server, max_answer_bytes=MiB).statistic_groups.list())) == 1


def close_at_once(exchange: Any) -> bool:
    return False


BROKEN: dict[str, Callable[[Any], Any]] = {
    "closed-without-answer": close_at_once,
    "garbage-status-line": lambda x: x.send(b"HELLO THERE\r\n\r\n") or False,
    "bad-status-code": lambda x: x.send(b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n") or False,
    "truncated-body": lambda x: x.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{") or False,
    "bad-chunk-size": lambda x: (
        x.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
        or False
    ),
    "corrupt-gzip": lambda x: x.answer(
        200, b"\x1f\x8b not gzip at all", {"Content-Encoding": "gzip"}
    ),
    "header-line-too-long": lambda x: (
        x.send(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n") or False
    ),
    "too-many-headers": lambda x: (
        x.send(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(200)) + b"\r\n")
        or False
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_every_broken_exchange_is_an_ossit_error(
    hostile: Callable, fast_client: Callable, hostile_key: str, name: str
) -> None:
    server = hostile(BROKEN[name])
    client = fast_client(server, max_retries=1, backoff_max=0.01)
    with pytest.raises(oc.OssitError) as caught:
        client.statistic_groups.get("g")
    assert str(caught.value).startswith("GET /v1/api/statistic-groups/g: ")
    assert hostile_key not in str(caught.value)
    assert server.count <= 2
