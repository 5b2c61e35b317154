"""The outermost ASGI layer: everything that happens around a /v1/api request.

First the body is read, up to the contract's ``REQUEST_BODY_MAX_BYTES`` (beyond it a 413);
a request with more than one ``Authorization`` header is a 400 on any path, so every step
below and the app see one key. Then for /v1/api, in order: count it, apply the rate limit
of a live domain's key (429 + Retry-After; a key that opens no domain gets no window, and
the app's 401), refuse an encoded '/' in the path, inject a scripted or random fault
(500/503 before anything changes), wait ``--latency-ms``; for a write, open its transaction,
replay a stored ``Idempotency-Key`` answer or run the app and commit its write together with
its stored answer; then either send the answer with the X-RateLimit-* headers or — for a
dropped write — close the connection without a byte.
It sits outside FastAPI so it receives uvicorn's own ``send`` and can reach the socket.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any

from ossit_schemas import REQUEST_BODY_MAX_BYTES
from starlette.types import Message, Receive, Scope, Send

from ossit_sandbox.auth import DomainCache, bearer_key, hash_key, repeated_authorization
from ossit_sandbox.control import Control
from ossit_sandbox.endpoints import Endpoints
from ossit_sandbox.errors import ApiError
from ossit_sandbox.faults import WRITE_METHODS
from ossit_sandbox.idempotency import (
    Answer,
    Claim,
    Headers,
    WriteRequests,
    fingerprint,
    keeps,
)

log = logging.getLogger(__name__)

# Test seam: a server started with this variable set to an Idempotency-Key kills itself
# (SIGKILL) right after committing the write that carries that key, before answering; a
# restarted server must then replay the stored answer and apply nothing (tests/sandbox).
CRASH_AFTER_COMMIT = "OSSIT_SANDBOX_CRASH_AFTER_COMMIT"

_TOO_LARGE = f"the request body exceeds {REQUEST_BODY_MAX_BYTES} bytes"
_TWO_KEYS = "more than one Authorization header: send one Bearer key per request"
# Methods counted under their own name in the stats; any other token counts as OTHER, so
# the counters' keys are bounded (with the endpoint templates) whatever clients send.
COUNTED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNKNOWN_ENDPOINT = "(no such endpoint)"


async def send_json(send: Send, status: int, body: bytes, headers: Headers) -> None:
    """Send a complete JSON answer."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, status: int, message: str, headers: Headers) -> None:
    """Send the contract's error answer with the usual code of ``status``."""
    error = ApiError.of_status(status, message)
    await send_json(send, status, error.encoded(), headers)


def declared_length(headers: dict[bytes, bytes]) -> int | None:
    """The ``Content-Length`` a request declares (None without one; uvicorn has already
    refused a malformed one)."""
    value = headers.get(b"content-length")
    return int(value) if value is not None and value.isdigit() else None


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


async def read_limited(receive: Receive, limit: int = REQUEST_BODY_MAX_BYTES) -> bytes | None:
    """The whole request body, or None as soon as it exceeds ``limit`` bytes.

    Counted while reading, so a chunked body (no Content-Length) is not read past the limit.
    A client that disconnects mid-body (a killed process) raises ``ClientGone``: the part
    received is not a request, and handling it would store an answer (a 400) under its
    Idempotency-Key that the client's own retry, with the whole body, would then meet as
    a 409 "key reused for a different request".
    """
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replaying(body: bytes) -> Receive:
    """A ``receive`` that hands the app a body already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the request is over: wait like a live socket
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def drop_connection(send: Send) -> None:
    """Close the client's connection without answering (the lost-response case).

    uvicorn's ``send`` is a bound method of the request cycle, which holds the socket's
    transport. Closing it and yielding lets uvicorn mark the cycle disconnected, so it
    neither answers nor complains.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("dropped by fault injection")
    transport.close()
    for _ in range(3):
        await asyncio.sleep(0)


class SandboxMiddleware:
    """Rate limit, stats, faults and idempotency around the API app."""

    def __init__(
        self,
        app: Any,
        control: Control,
        domains: DomainCache,
        writes: WriteRequests,
        endpoints: Endpoints,
    ) -> None:
        self.app = app
        self.control = control
        self.domains = domains
        self.writes = writes
        self.endpoints = endpoints
        self.latency = control.settings.latency_ms / 1000.0
        crash_key = os.environ.get(CRASH_AFTER_COMMIT)
        self._crash_key = crash_key.encode("latin-1") if crash_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        # The size limit comes first and covers every path: a declared length over it is
        # refused before reading a byte, a chunked body as soon as it passes it.
        declared = declared_length(request_headers)
        try:
            too_large = declared is not None and declared > REQUEST_BODY_MAX_BYTES
            body = None if too_large else await read_limited(receive)
        except ClientGone:
            return  # nothing to answer, nothing done
        if body is None:
            await send_error(send, 413, _TOO_LARGE, [(b"connection", b"close")])
            return
        if repeated_authorization(scope["headers"]):  # one key per request, on every path
            await send_error(send, 400, _TWO_KEYS, [])
            return
        receive = replaying(body)
        if not scope["path"].startswith("/v1/api"):
            await self.app(scope, receive, send)
            return
        key = bearer_key(request_headers.get(b"authorization", b"").decode("latin-1")) or ""
        method = scope["method"]
        stats = self.control.stats(key)
        stats.requests += 1
        endpoint = self.endpoints.match(scope["path"])
        counted = method if method in COUNTED_METHODS else "OTHER"
        stats.by_endpoint[f"{counted} {endpoint[0] if endpoint else UNKNOWN_ENDPOINT}"] += 1
        headers: Headers = []
        # Only a live domain's key gets a rate window: keys that open nothing are answered
        # 401 by the app, and could otherwise fill the limiter's table without end.
        if key and self.domains.get(key) is not None:
            decision = self.control.limiter.hit(key)
            headers = decision.headers()
            if not decision.allowed:
                stats.rate_limited += 1
                message = f"rate limit of {decision.limit} requests exceeded; retry later"
                await send_error(send, 429, message, headers)
                return
        if b"%2f" in scope.get("raw_path", b"").lower():
            # Routing sees %2F decoded, as a separator: `/statistics/g/s%2Fpoints` would reach
            # the points of g/s. No name contains '/', so such a segment names nothing.
            await send_error(send, 404, "no name contains '/' (%2F in the path)", headers)
            return
        if endpoint is not None and method not in endpoint[1]:
            headers.append((b"allow", ", ".join(sorted(endpoint[1])).encode()))
            await send_error(send, 405, "method not allowed on this endpoint", headers)
            return
        fault = self.control.faults.pick(key, method, scope["path"])
        if fault is not None and not fault.drop:
            stats.faults += 1
            retry_after = fault.retry_after_header()
            if retry_after is not None:
                headers.append((b"retry-after", retry_after))
            await send_error(send, fault.status, "injected fault", headers)
            return
        if self.latency:
            await asyncio.sleep(self.latency)
        if endpoint is not None and method in WRITE_METHODS:
            idem_key = request_headers.get(b"idempotency-key")
            status, answer_headers, body = await self._write(scope, body, key, idem_key)
        elif fault is None:
            await self.app(scope, receive, self._with_headers(send, headers))
            return
        else:
            status, answer_headers, body = await self._capture(scope, receive)
        if fault is not None:  # a drop: the write is committed, its answer lost
            stats.faults += 1
            await drop_connection(send)
            return
        await send_json(send, status, body, answer_headers + headers)

    async def _write(self, scope: Scope, body: bytes, key: str, idem_key: bytes | None) -> Answer:
        """Run a write request in its own transaction (see :mod:`ossit_sandbox.idempotency`):
        replay a stored answer, or run the app and commit its write with its answer.

        The body was read before (so a slow upload holds no transaction). Stored answers are
        filed under the hash of the domain key, as the domains table holds it.
        """
        claim = None
        if idem_key is not None:
            print_ = fingerprint(scope["method"], scope["path"], scope["query_string"], body)
            claim = Claim(hash_key(key), idem_key.decode("latin-1"), print_)
        async with self.writes.open(claim) as write:
            stored = write.stored()
            if stored is not None:
                return stored
            status, headers, answer = await self._capture(scope, replaying(body))
            if keeps(status):
                await write.commit(status, answer)
                if idem_key is not None and idem_key == self._crash_key:
                    os.kill(os.getpid(), signal.SIGKILL)  # test seam: see CRASH_AFTER_COMMIT
        return status, headers, answer

    async def _capture(self, scope: Scope, receive: Receive) -> Answer:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        except Exception:
            if not started:  # the app's error handler has answered otherwise
                raise
        headers = [
            (name, value)
            for name, value in started.get("headers", [])
            if name.lower() not in (b"content-length", b"content-type")
        ]
        return int(started.get("status", 500)), headers, b"".join(chunks)

    @staticmethod
    def _with_headers(send: Send, extra: Headers) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return wrapped
