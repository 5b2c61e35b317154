"""Sends batches on one background thread and passes STATE messages on once they are safe.

Reading and validating the next batch then overlaps with the API working on the last
one.  Batches run one at a time in the order they were handed over (the input order),
and at most one is in flight: handing over the next waits for the previous, so an API
error stops the run before anything later is sent, and memory stays bounded by two
batches.

A STATE message is held until every batch that holds a record read before it has been
acknowledged. A Singer state holds every stream's bookmarks, so of the states made safe at
once only the newest is written; an Airbyte state is one stream's (``each_state``), so
every one is, in order.  The loader cuts batches at every STATE, so those are the batches handed
over so far; batches are acknowledged in order, so the state is released when that many
batches have been.  Releasing also
happens on the sender thread, the moment the batch that completes a state is
acknowledged, so a state is not held back while the input is idle.  Once a batch has
failed, nothing more is sent and no state is released.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.0005
"""The GIL switch interval a loader's command line sets for its process (Python's default
is 5 ms): the sending thread needs the GIL many short times per request, and at 5 ms each
time can wait behind the busy reading thread while the API idles; 0.5 ms made loads about
12% faster. The process is the command line's to tune, never a library's: ``Sender`` leaves
it alone."""

State = dict[str, Any]


class Sender:
    """One sending thread, one batch in flight, states released once acknowledged."""

    def __init__(self, write_state: Callable[[State], None], *, each_state: bool = False) -> None:
        self._write_state = write_state
        self._each_state = each_state
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ossit-send")
        self._in_flight: Future[None] | None = None
        self._handed_over = 0
        self._acknowledged = 0
        self._lock = threading.Lock()
        self._held: deque[tuple[int, State]] = deque()
        self._written: State | None = None
        self._failed = False

    def submit(self, send: Callable[[], None]) -> None:
        """Hand a batch over: it is sent once the previous one is acknowledged."""
        self.wait()
        self._handed_over += 1
        self._in_flight = self._executor.submit(self._send, send)

    def wait(self) -> None:
        """Wait for the batch in flight; its error is raised here, on the caller's thread."""
        future = self._in_flight
        if future is None:
            return
        try:
            future.result()
        finally:
            if self._in_flight is future:
                self._in_flight = None

    def settle(self) -> None:
        """After an error elsewhere: let the batch in flight finish and release its states."""
        try:
            self.wait()
        except Exception as exc:
            logger.error("The batch in flight failed as well: %s", exc)

    def hold(self, state: State) -> None:
        """Hold a state until every batch handed over before it is acknowledged."""
        with self._lock:
            self._held.append((self._handed_over, state))
            self._release()

    def write_now(self, state: State) -> None:
        """Write a state that follows everything handed over, once that is acknowledged."""
        self.wait()
        with self._lock:
            self._held.clear()
            if not self._failed:
                self._write(state)

    def close(self) -> None:
        """Stop the thread (after the batch in flight, if any)."""
        self._executor.shutdown()

    def _send(self, send: Callable[[], None]) -> None:
        if self._failed:
            raise RuntimeError("not sent: an earlier batch failed")
        try:
            send()
        except BaseException:
            self._failed = True  # states are counted in batches: none is released any more
            raise
        with self._lock:
            self._acknowledged += 1
            self._release()

    def _release(self) -> None:
        """Write the states now safe: each of them, or the newest (see ``each_state``)."""
        if self._failed:
            return
        safe = []
        while self._held and self._held[0][0] <= self._acknowledged:
            safe.append(self._held.popleft()[1])
        for state in safe if self._each_state else safe[-1:]:
            self._write(state)

    def _write(self, state: State) -> None:
        # A Singer state repeats every stream's bookmarks, and the SDK writes its latest
        # again when it drains: one equal to the last written adds nothing.
        if self._each_state or state != self._written:
            self._written = state
            self._write_state(state)
