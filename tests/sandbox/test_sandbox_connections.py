"""The sandbox as a server: one key per request, and no connection held without a request.

Raw sockets against the real server: a second ``Authorization`` header is a 400 that counts
against no key (it used to pass authentication under the first and the rate limit under the
second); a request head or body sent a byte at a time (slowloris), a silent connection and an
idle keep-alive connection are closed within their bounds, and a slow answer is never cut.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import orjson
from ossit_sandbox.launcher import SandboxServer

MARGIN = 2.0  # scheduling slack on a busy machine, beyond a bound
GROUPS = "/v1/api/statistic-groups"


def _connect(server: SandboxServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _request(path: str, *headers: str, method: str = "GET", body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and body of one answer (Content-Length framed) read from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
    length = int({k.strip().lower(): v for k, v in fields.items()}[b"content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed mid-answer"
        body += chunk
    return int(head.split()[1]), body


def _seconds_until_closed(sock: socket.socket, trickle: Callable[[], bytes] | None) -> float:
    """Seconds from now until the server closes ``sock``, sending ``trickle()`` every 0.2 s
    meanwhile (a slowloris client); fails if the server keeps it open for 10 s."""
    started = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - started < 10:
        try:
            if sock.recv(1024) == b"":
                return time.monotonic() - started
            raise AssertionError("the server answered a request it never received whole")
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        if trickle is not None:
            try:
                sock.sendall(trickle())
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started
    raise AssertionError("the connection was still open after 10 s")


def _within(elapsed: float, bound: float) -> bool:
    """Closed by that bound: not before it, and not long after."""
    return bound - 0.1 <= elapsed < bound + MARGIN


# -- one key per request ---------------------------------------------------------------------


def test_a_second_authorization_header_is_refused_and_counts_for_no_key(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    server = sandbox_factory(rate_limit=1)
    key = server.create_domain("two-headers")
    with _connect(server) as sock:
        sock.sendall(_request(GROUPS, f"Authorization: Bearer {key}"))
        assert _answer(sock)[0] == 200  # the key's one request of the window
        # The bypass: the first header authenticated, the last (junk) was rate-limited.
        for pair in ((key, "dk_junk"), ("dk_junk", key), (key, key)):
            sock.sendall(_request(GROUPS, *(f"Authorization: Bearer {k}" for k in pair)))
            status, body = _answer(sock)
            assert status == 400, body
            assert orjson.loads(body) == {
                "error": {
                    "code": "bad_request",
                    "message": "more than one Authorization header: send one Bearer key per "
                    "request",
                }
            }
        # Control endpoints take a key too: the same rule.
        two = (f"Authorization: Bearer {key}", f"Authorization: Bearer {key}")
        sock.sendall(_request("/_sandbox/stats", *two))
        assert _answer(sock)[0] == 400
        sock.sendall(_request(GROUPS, f"Authorization: Bearer {key}"))
        assert _answer(sock)[0] == 429  # the window still holds the first request only
    stats = server.stats(key)
    assert (stats["requests"], stats["rate_limited"]) == (2, 1), stats


# -- slow and idle connections ---------------------------------------------------------------


def test_a_request_head_sent_a_byte_at_a_time_is_cut_at_the_read_timeout(
    bounded_sandbox: SandboxServer,
) -> None:
    server = bounded_sandbox
    with _connect(server) as sock:
        sock.sendall(b"GET /v1/api/statistic-groups HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        elapsed = _seconds_until_closed(sock, trickle=lambda: b"X")
    assert _within(elapsed, server.read_timeout), elapsed


def test_a_silent_connection_is_closed_at_the_read_timeout(
    bounded_sandbox: SandboxServer,
) -> None:
    server = bounded_sandbox
    with _connect(server) as sock:
        elapsed = _seconds_until_closed(sock, trickle=None)
    assert _within(elapsed, server.read_timeout), elapsed


def test_a_body_sent_a_byte_at_a_time_is_cut_and_changes_nothing(
    bounded_sandbox: SandboxServer,
) -> None:
    server = bounded_sandbox
    key = server.create_domain("slow-body")
    body = b'{"name": "never created"}' + b" " * 200
    head = _request(GROUPS, f"Authorization: Bearer {key}", method="POST", body=body)
    head, first = head[: -len(body)], iter(body)
    with _connect(server) as sock:
        sock.sendall(head + b"{")
        next(first)
        elapsed = _seconds_until_closed(sock, trickle=lambda: bytes([next(first)]))
        assert _within(elapsed, server.read_timeout), elapsed
    with _connect(server) as sock:
        sock.sendall(_request(GROUPS, f"Authorization: Bearer {key}"))
        status, answer = _answer(sock)
    assert (status, orjson.loads(answer)["data"]) == (200, [])


def test_an_idle_keep_alive_connection_is_closed_at_the_idle_timeout(
    bounded_sandbox: SandboxServer,
) -> None:
    server = bounded_sandbox
    key = server.create_domain("idle")
    with _connect(server) as sock:
        sock.sendall(_request(GROUPS, f"Authorization: Bearer {key}"))
        assert _answer(sock)[0] == 200
        elapsed = _seconds_until_closed(sock, trickle=None)
    assert _within(elapsed, server.idle_timeout), elapsed


def test_a_slow_answer_is_never_cut_and_each_request_gets_the_whole_bound(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    # Each answer takes longer than the read timeout (--latency-ms); the deadline is off
    # once the request is read, and starts again for the next one on the same connection.
    server = sandbox_factory(read_timeout=1.0, idle_timeout=1, latency_ms=1500)
    key = server.create_domain("slow-answer")
    with _connect(server) as sock:
        for _ in range(2):
            sock.sendall(_request(GROUPS, f"Authorization: Bearer {key}"))
            assert _answer(sock)[0] == 200
            time.sleep(0.5)
