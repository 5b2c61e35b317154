"""Airbyte messages out: the protocol's dataclasses encoded as JSON lines, one writer.

The message types are ``airbyte-protocol-models-dataclasses`` (the protocol's own
definitions, no dependencies); they carry no encoder, and the Airbyte CDK's (serpyco-rs)
comes with the CDK's pins. ``encode`` is the small rule the protocol needs: fields left
``None`` are omitted, enums are their values, and ``global_`` (a Python keyword's escape)
is ``global`` on the wire.

RECORD messages are the volume: ``record_lines`` encodes a page of them straight from the
records (one small dict each, no dataclass), byte for byte what ``encode`` would write.
"""

from __future__ import annotations

import dataclasses
import enum
import errno
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

import orjson
from airbyte_protocol_dataclasses.models import (
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    AirbyteStreamState,
    AirbyteStreamStatus,
    AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage,
    FailureType,
    Level,
    StreamDescriptor,
    TraceType,
    Type,
)
from ossit_sync.stopping import finished, whole, write_all

_RENAMED = {"global_": "global"}


def as_json_value(value: Any) -> Any:
    """A protocol dataclass (or anything inside one) as plain JSON values, ``None`` left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        # AirbyteStateBlob declares no fields: its content is whatever was set on it.
        fields.update((name, item) for name, item in vars(value).items() if name not in fields)
        return {
            _RENAMED.get(name, name): as_json_value(item)
            for name, item in fields.items()
            if item is not None
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {key: as_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json_value(item) for item in value]
    return value


def encode(message: AirbyteMessage) -> bytes:
    """One message as one JSON line (with its line end)."""
    return orjson.dumps(as_json_value(message), option=orjson.OPT_APPEND_NEWLINE)


def now_ms() -> int:
    """The protocol's ``emitted_at``: milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def record_lines(stream: str, records: Iterable[dict[str, Any]], emitted_at: int) -> bytes:
    """RECORD messages of one stream, one line each, as ``encode`` would write them."""
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    return b"".join(
        dumps(
            {
                "type": "RECORD",
                "record": {"stream": stream, "data": data, "emitted_at": emitted_at},
            },
            option=newline,
        )
        for data in records
    )


def log(level: Level, text: str) -> AirbyteMessage:
    """A LOG message."""
    return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=text))


def _trace(kind: TraceType, **payload: Any) -> AirbyteMessage:
    """A TRACE message of ``kind``, stamped now, carrying its ``payload`` field."""
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(type=kind, emitted_at=float(now_ms()), **payload),
    )


def error_trace(
    text: str,
    failure_type: FailureType,
    *,
    internal: str | None = None,
    stream: str | None = None,
    stack: str | None = None,
) -> AirbyteMessage:
    """A TRACE message of type ERROR: what failed, for a person (``text``) and in detail."""
    return _trace(
        TraceType.ERROR,
        error=AirbyteErrorTraceMessage(
            message=text,
            internal_message=internal,
            stack_trace=stack,
            failure_type=failure_type,
            stream_descriptor=StreamDescriptor(name=stream) if stream else None,
        ),
    )


def stream_status(stream: str, status: AirbyteStreamStatus) -> AirbyteMessage:
    """A TRACE message of type STREAM_STATUS (STARTED, RUNNING, COMPLETE, INCOMPLETE)."""
    return _trace(
        TraceType.STREAM_STATUS,
        stream_status=AirbyteStreamStatusTraceMessage(
            stream_descriptor=StreamDescriptor(name=stream), status=status
        ),
    )


def stream_state(stream: str, state: dict[str, Any], record_count: int) -> AirbyteMessage:
    """A per-stream STATE message; ``record_count``: the stream's records since its last."""
    blob: Any = state  # the blob is free-form JSON; ``as_json_value`` passes a dict as is
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=stream), stream_state=blob
            ),
            sourceStats=AirbyteStateStats(recordCount=float(record_count)),
        ),
    )


def ends_run(message: AirbyteMessage) -> bool:
    """Whether ``message`` is a run's last: a command's one answer, or a failure's TRACE."""
    if message.type in (Type.SPEC, Type.CONNECTION_STATUS, Type.CATALOG):
        return True
    return (
        message.type == Type.TRACE
        and message.trace is not None
        and message.trace.type == TraceType.ERROR
    )


class MessageWriter:
    """Writes messages to standard output, whole lines only, from any thread.

    Logging may happen on the reader's prefetch thread and the client's threads while the
    main thread writes records: a lock keeps every line whole, and a stop signal waits for
    the end of the write (``ossit_sync.stopping.whole``). Each write is flushed, so an
    orchestrator sees a STATE as soon as it is safe.

    When the reader of standard output goes away (EPIPE), ``closed`` is set and every later
    write raises ``BrokenPipeError`` again, so the run stops at its next write; unless the
    run's last message was written already (``ends_run``): PyAirbyte closes its end once it
    has the one message of ``spec``, ``check`` or ``discover``, and nothing after it matters.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.closed = False
        """Whether standard output's reader has gone (a write met EPIPE)."""
        self.ended = False
        """Whether the run's last message is written (see ``ends_run``)."""

    def write(self, message: AirbyteMessage) -> None:
        """Write one message; after the run's last, a stop signal ends the process as usual."""
        with whole():
            self.write_lines(encode(message))
            if ends_run(message):
                self.ended = True
                finished(failed=message.type == Type.TRACE)

    def write_lines(self, lines: bytes) -> None:
        """Write already encoded lines (see ``record_lines``), all of them or none."""
        with whole(), self._lock:
            if self.closed:
                if self.ended:
                    return
                raise BrokenPipeError(errno.EPIPE, "standard output's reader has gone")
            # Looked up on every call: test runners swap ``sys.stdout``.
            out = sys.stdout.buffer
            try:
                write_all(out, lines)
            except BrokenPipeError:
                self.closed = True
                if not self.ended:
                    raise


__all__ = [
    "AirbyteStreamStatus",
    "FailureType",
    "Level",
    "MessageWriter",
    "as_json_value",
    "encode",
    "ends_run",
    "error_trace",
    "log",
    "now_ms",
    "record_lines",
    "stream_state",
    "stream_status",
]
