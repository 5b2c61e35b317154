"""A Singer message reader that counts input lines and parses them with msgspec.

The SDK's reader neither knows which line it is on nor parses quickly (``json`` with
``Decimal`` floats).  This one keeps the line number where the target and its sinks
can read it, turns any error raised while handling a line into an ``InputError`` that
names that line, and parses with ``ossit_schemas.values.loads`` (msgspec, about 1 µs for
a point record), which keeps integers beyond 64 bits exact -- orjson makes floats of
them -- so the field that holds one refuses it by name.

A stop signal (``ossit_sync.stopping``) never lands inside the handling of a line: it
ends the input between two lines (or while waiting for one), as if the input ended
there, and the target then fails the run (``stopped``).

The SDK's own loop is replaced in ``_sdk.SdkReader``; each message still goes through
the SDK's check and dispatch there.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable
from typing import IO, Any

from ossit_schemas import values
from ossit_sync.stopping import Stopped, whole

from target_ossit._sdk import SdkReader
from target_ossit.errors import InputError, InvalidLineError, located


class NumberedSingerReader(SdkReader):
    """Reads Singer messages line by line, knowing the current line's number."""

    def __init__(self) -> None:
        super().__init__()
        self.line_number = 0
        """1-based number of the line being handled (0 before the first)."""
        self.on_error: Callable[[], None] | None = None
        """Called when handling a line failed, before the error propagates."""
        self.stopped: Stopped | None = None
        """The stop signal that ended the input early, if one did."""

    @property
    def default_input(self) -> IO[str]:
        """Standard input, looked up when reading starts (tests replace ``sys.stdin``)."""
        return sys.stdin

    def deserialize_json(self, line: str) -> dict[str, Any]:
        """Parse one line; anything but a JSON object is an ``InvalidLineError``."""
        try:
            message = values.loads(line)
        except values.JSONTextError as exc:
            msg = f"not valid JSON ({exc})"
            raise InvalidLineError(msg) from None
        if type(message) is not dict:
            msg = "a Singer message must be a JSON object"
            raise InvalidLineError(msg)
        return message

    def read_lines(
        self, lines: Iterable[str], callbacks: dict[str, Callable[[dict], None]]
    ) -> Counter[str]:
        """Dispatch every message to its callback; errors come out located by line.

        A stop signal ends the input after the line being handled (``stopped``).
        """
        counts: Counter[str] = Counter()
        try:
            for number, line in enumerate(lines, start=1):
                self.line_number = number
                if line.isspace():
                    continue
                with whole():
                    counts[self._handle(line, number, callbacks)] += 1
        except Stopped as stop:
            self.stopped = stop
        return counts

    def _handle(self, line: str, number: int, callbacks: dict[str, Callable[[dict], None]]) -> str:
        """Dispatch one message; its type."""
        message: dict[str, Any] | None = None
        try:
            message = self.deserialize_json(line)
            message_type = self.dispatch(message, callbacks)
        except InputError as exc:
            exc.locate(line=number, stream=_stream_of(message))
            self._failed()
            raise
        except Exception as exc:
            self._failed()
            raise located(exc, line=number, stream=_stream_of(message)) from exc
        return message_type

    def _failed(self) -> None:
        if self.on_error is not None:
            self.on_error()


def _stream_of(message: dict[str, Any] | None) -> str | None:
    stream = message.get("stream") if message is not None else None
    return stream if isinstance(stream, str) else None
