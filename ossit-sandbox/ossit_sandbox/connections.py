"""How long a client may hold a connection without sending a whole request.

uvicorn closes a keep-alive connection left idle after an answer (``timeout_keep_alive``) and
h11 refuses a request head over 16 KiB, but nothing bounds the time a client takes to send a
request: one that sends its head, or its body, a byte every few seconds (slowloris), or
nothing at all after connecting, holds its connection and the server's task for ever.
:class:`ReadDeadlineProtocol` adds that bound to uvicorn's own h11 protocol (selected with
``uvicorn.Config(http=...)``): a request must arrive whole within ``read_timeout`` seconds of
the connection opening or of the previous answer, or the connection is closed unanswered.
Once the request is read, the deadline is off: a slow answer (``--latency-ms``) is never cut.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

READ_TIMEOUT_SECONDS = 10.0
"""Default ``--read-timeout``: time to send a whole request (head and body)."""
IDLE_TIMEOUT_SECONDS = 5
"""Default ``--idle-timeout``: uvicorn's ``timeout_keep_alive`` (its own default too)."""

# h11's states of a client that has not yet sent a whole request.
_READING = (h11.IDLE, h11.SEND_BODY)


class ReadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request is not whole in time."""

    read_timeout = READ_TIMEOUT_SECONDS
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state not in _READING:  # the request is whole (or refused)
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's time starts now (uvicorn has started h11's next cycle).
        if not self.transport.is_closing() and self.conn.their_state in _READING:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing() and self.conn.their_state in _READING:
            log.info("closed a connection that sent no whole request in %s s", self.read_timeout)
            self.transport.close()


def read_deadline_protocol(read_timeout: float) -> type[ReadDeadlineProtocol]:
    """The protocol class of a server with this read timeout (uvicorn makes one per
    connection, with its own arguments, so the value travels on the class)."""

    class Protocol(ReadDeadlineProtocol):
        pass

    Protocol.read_timeout = read_timeout
    return Protocol
