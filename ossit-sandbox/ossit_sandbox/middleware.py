"""The outermost ASGI layer: everything that happens around a /v1/api request.

In order: count it, apply the rate limit (429 + Retry-After), inject a scripted or random
fault (500/503 before anything changes), wait ``--latency-ms``, replay a stored
``Idempotency-Key`` answer, run the app, store its answer, then either send it with the
X-RateLimit-* headers or — for a dropped write — close the connection without a byte.
It sits outside FastAPI so it receives uvicorn's own ``send`` and can reach the socket.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive, Scope, Send

from ossit_sandbox.api.common import bearer_key
from ossit_sandbox.control import Control
from ossit_sandbox.endpoints import Endpoints
from ossit_sandbox.faults import WRITE_METHODS
from ossit_sandbox.idempotency import IdempotencyStore, fingerprint

log = logging.getLogger(__name__)

Headers = list[tuple[bytes, bytes]]

CODES = {
    400: "bad_request", 401: "unauthorized", 402: "payment_required", 403: "forbidden",
    404: "not_found", 405: "method_not_allowed", 409: "conflict", 410: "gone",
    422: "invalid_request", 429: "rate_limited", 500: "internal_error", 502: "bad_gateway",
    503: "service_unavailable", 504: "gateway_timeout",
}  # fmt: skip


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
    """Send a contract error body for ``status``."""
    code = CODES.get(status, "error")
    body = orjson.dumps({"error": {"code": code, "message": message}})
    await send_json(send, status, body, headers)


async def read_all(receive: Receive) -> bytes:
    """The whole request body."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
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
        self, app: Any, control: Control, idempotency: IdempotencyStore, endpoints: Endpoints
    ) -> None:
        self.app = app
        self.control = control
        self.idempotency = idempotency
        self.endpoints = endpoints
        self.latency = control.settings.latency_ms / 1000.0
        self._in_flight: dict[tuple[str, bytes], asyncio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/api"):
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        key = bearer_key(request_headers.get(b"authorization", b"").decode("latin-1")) or ""
        method = scope["method"]
        stats = self.control.stats(key)
        stats.requests += 1
        endpoint = self.endpoints.match(scope["path"])
        stats.by_endpoint[f"{method} {endpoint[0] if endpoint else scope['path']}"] += 1
        decision = self.control.limiter.hit(key)
        headers = decision.headers()
        if not decision.allowed:
            stats.rate_limited += 1
            message = f"rate limit of {decision.limit} requests exceeded; retry later"
            await send_error(send, 429, message, headers)
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
        idem_key = request_headers.get(b"idempotency-key") if method in WRITE_METHODS else None
        if endpoint is None:
            idem_key = None  # the app answers 404 before any idempotency applies
        if idem_key is None and fault is None:
            await self.app(scope, receive, self._with_headers(send, headers))
            return
        status, answer_headers, body = await self._answer(scope, receive, key, idem_key)
        if fault is not None:
            stats.faults += 1
            await drop_connection(send)
            return
        await send_json(send, status, body, answer_headers + headers)

    async def _answer(
        self, scope: Scope, receive: Receive, key: str, idem_key: bytes | None
    ) -> tuple[int, Headers, bytes]:
        """Run the app (or replay a stored answer) and return the whole answer."""
        if idem_key is None:
            return await self._capture(scope, receive)
        # A retry that arrives while the first attempt still runs waits for its answer.
        lock = self._in_flight.setdefault((key, idem_key), asyncio.Lock())
        try:
            async with lock:
                return await self._answer_once(scope, receive, key, idem_key)
        finally:
            if not lock.locked():
                self._in_flight.pop((key, idem_key), None)

    async def _answer_once(
        self, scope: Scope, receive: Receive, key: str, idem_key: bytes
    ) -> tuple[int, Headers, bytes]:
        body = await read_all(receive)
        print_ = fingerprint(scope["method"], scope["path"], scope["query_string"], body)
        idem = idem_key.decode("latin-1")
        stored = await run_in_threadpool(self.idempotency.lookup, key, idem)
        if stored is not None:
            if stored[0] != print_:
                error = {
                    "error": {
                        "code": "idempotency_key_reused",
                        "message": "this Idempotency-Key was used for a different request",
                    }
                }
                return 409, [], orjson.dumps(error)
            return stored[1], [(b"idempotent-replayed", b"true")], stored[2]
        status, headers, answer = await self._capture(scope, replaying(body))
        if status < 500 and status not in (401, 429):
            await run_in_threadpool(self.idempotency.save, key, idem, print_, status, answer)
        return status, headers, answer

    async def _capture(self, scope: Scope, receive: Receive) -> tuple[int, Headers, bytes]:
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
