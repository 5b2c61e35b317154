"""How a connector stops when it is told to (SIGTERM, SIGINT) or its reader goes (EPIPE).

A signal can arrive while a connector writes a page of lines to standard output. Stopped
right there, it would leave half a line, and whatever it wrote next (a STATE, an error)
would be glued onto it. So a connector's command line (only it: a library leaves its
host's signals alone) calls ``stop_on_signals``: from then on SIGTERM and SIGINT raise
``Stopped`` at once wherever nothing is being written, and at the end of the block where
something is (``whole``: every write of lines, a page with its STATE). The connector then
ends as a failure, exit status 1: the last STATE it wrote is safe to resume from, and its
last line says it was stopped.

Once a connector has written the message that ends its run (``finished``), a signal no
longer changes its outcome: PyAirbyte sends SIGTERM to ``spec``, ``check`` and ``discover``
as soon as it has read their one message, and counts exit 0 or -15 as success.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import AbstractContextManager, nullcontext
from types import FrameType
from typing import BinaryIO, NoReturn

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
"""The signals that stop a connector; SIGINT (Ctrl-C) is handled like SIGTERM."""


class Stopped(BaseException):
    """A stop signal ended the run (not an ``Exception``: nothing in the data is to blame)."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"stopped by {self.signal_name}")


class _Signals:
    """The process's one record of stop signals (signals are the process's, not a run's)."""

    def __init__(self) -> None:
        self.handled = False
        """Whether ``stop_on_signals`` took SIGTERM and SIGINT over (and ``finished`` not)."""
        self.pending: int | None = None
        """A signal that arrived inside ``whole``: it stops the run at the block's end."""
        self.depth = 0
        """How many ``whole`` blocks the main thread is in."""


_signals = _Signals()


def stop_on_signals() -> None:
    """From now on, SIGTERM and SIGINT raise ``Stopped`` (at the end of any ``whole`` block).

    For a connector's command line only: signals belong to the process.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_signal)
    _signals.handled = True


def finished(*, failed: bool = False) -> None:
    """The run's last message is written: a signal can no longer change its outcome.

    After a success, a signal ends the process as by default (PyAirbyte's SIGTERM after
    ``spec``, ``check`` or ``discover``: exit -15); after a failure it is ignored, so the
    exit status stays 1 (nothing is left to stop: the run has cleaned up). A signal that
    arrived while that last message was written is dropped.
    """
    if not _signals.handled:
        return
    _signals.handled = False
    _signals.pending = None
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN if failed else signal.SIG_DFL)


def whole() -> AbstractContextManager[None]:
    """A block no stop signal cuts short: one that arrives meanwhile stops the run at its end.

    Signal handlers run on the main thread only, so other threads' blocks need no care.
    """
    if _signals.handled and threading.current_thread() is _MAIN_THREAD:
        return _COUNTED
    return _UNCOUNTED


class _Counted:
    """``whole`` on the main thread once signals are handled (a class: it wraps every line)."""

    def __enter__(self) -> None:
        _signals.depth += 1

    def __exit__(self, kind: type[BaseException] | None, *details: object) -> None:
        _signals.depth -= 1
        if kind is None and _signals.depth == 0 and _signals.pending is not None:
            _stop(_signals.pending)


_COUNTED = _Counted()
_UNCOUNTED = nullcontext()
_MAIN_THREAD = threading.main_thread()


def write_all(out: BinaryIO, data: bytes | bytearray) -> None:
    """Write all of ``data`` to ``out`` and flush it.

    A signal that arrives during a large buffered write can make it return having written
    only part (CPython 3.11 does): the rest is written by the next call.
    """
    view = memoryview(data)
    while view:
        view = view[out.write(view) :]
    out.flush()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _signals.depth:
        _signals.pending = signum
    else:
        _stop(signum)


def _stop(signum: int) -> NoReturn:
    _signals.pending = None
    raise Stopped(signum)


def broken_pipe(exc: BaseException) -> bool:
    """Whether ``exc`` (or an error it came from) is a write to a pipe whose reader is gone."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        if isinstance(error, BrokenPipeError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def discard_output() -> None:
    """Point standard output at the null device, as its reader has gone.

    Python flushes ``sys.stdout`` again when it exits; with the reader gone, that flush
    would print "Exception ignored ... BrokenPipeError" after the connector's last line.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
