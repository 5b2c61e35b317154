"""An overall deadline per attempt: past it, the attempt's socket is shut down.

requests' ``timeout`` bounds each socket operation, not the answer: a server that sends one
byte every few seconds -- of the status line, of the headers or of the body -- keeps a call
waiting forever, each read well within its timeout. No setting of requests or urllib3 bounds
the whole exchange, and a blocked read can only be ended from outside. So each attempt is
``watched``: the connection it uses registers itself (``_WatchedConnection``), and one daemon
thread shared by all clients shuts that connection's socket down at the deadline. The blocked
read returns at once with an error, which the client reports as a timeout
(``Watch.expired``) and retries like any other.

The answer reader also checks the deadline between chunks, so an answer read in many small
pieces ends on time even when no read blocks.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.poolmanager import pool_classes_by_scheme as _DEFAULT_POOLS

_current = threading.local()


class Watch:
    """One attempt's deadline and the connection it is using (once it has one)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.done = False
        self._connection: HTTPConnection | None = None
        self._lock = threading.Lock()

    def attach(self, connection: HTTPConnection) -> None:
        """The attempt uses ``connection``; cut it at once if the deadline already passed."""
        with self._lock:
            self._connection = connection
            if self.expired and not self.done:
                _shut_down(connection)

    def expire(self) -> None:
        """The deadline passed: end the attempt's exchange, unless it is already over."""
        with self._lock:
            if self.done:
                return
            self.expired = True
            if self._connection is not None:
                _shut_down(self._connection)

    def finish(self) -> None:
        """The attempt is over: its connection (perhaps pooled again) must not be touched."""
        with self._lock:
            self.done = True
            self._connection = None


def _shut_down(connection: HTTPConnection) -> None:
    """Make every blocked or later read of ``connection`` fail at once.

    ``socket.socket.shutdown`` on the file descriptor, not ``SSLSocket.shutdown``, which would
    drop the TLS object under the reading thread's feet.
    """
    sock = connection.sock
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # already closed
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Watchdog:
    """One daemon thread that expires watches at their deadlines.

    A thread per attempt (``threading.Timer``) would cost a thread start per request, a few
    percent of the tap's list speed; a heap served by one thread costs a push. Finished
    watches are dropped lazily, as they reach the top of the heap.
    """

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watch(self, seconds: float) -> Iterator[Watch]:
        """Watch the attempt run inside the block (in this thread) for ``seconds`` at most."""
        watch = Watch(time.monotonic() + seconds)
        self._add(watch)
        _current.watch = watch
        try:
            yield watch
        finally:
            _current.watch = None
            watch.finish()

    def _add(self, watch: Watch) -> None:
        with self._ready:
            while self._heap and self._heap[0][2].done:
                heapq.heappop(self._heap)
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():  # none yet, or forked
                self._thread = threading.Thread(
                    target=self._run, name="ossit-client-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._ready.notify()

    def _run(self) -> None:
        with self._ready:
            while True:
                if not self._heap:
                    self._ready.wait()
                    continue
                deadline, _, watch = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0 and not watch.done:
                    self._ready.wait(delay)
                    continue
                heapq.heappop(self._heap)
                watch.expire()


WATCHDOG = Watchdog()


def _attach_current(connection: HTTPConnection) -> None:
    watch: Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(connection)


if TYPE_CHECKING:
    _ConnectionBase = HTTPConnection
else:
    _ConnectionBase = object


class _WatchedConnection(_ConnectionBase):
    """Registers with the running attempt's watch: when it connects and when it sends."""

    def connect(self) -> None:
        super().connect()
        _attach_current(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach_current(self)  # a pooled connection is reused without connecting again
        super().request(*args, **kwargs)


class _WatchedHTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _use_watched_pools(manager: PoolManager) -> PoolManager:
    """Let ``manager`` open watched connections (a SOCKS manager's own pools are kept)."""
    if manager.pool_classes_by_scheme == _DEFAULT_POOLS:
        manager.pool_classes_by_scheme = _WATCHED_POOLS
    return manager


class WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections a ``Watchdog`` can cut (proxied ones included)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_watched_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        return _use_watched_pools(super().proxy_manager_for(proxy, **proxy_kwargs))
