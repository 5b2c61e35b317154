"""Python logging as Airbyte LOG messages on standard output.

An Airbyte connector's standard output carries protocol messages only, so every log record
(the client's retries and waits, the loader's warnings) becomes a LOG message through the
connector's one ``MessageWriter``. The handler masks the secrets registered
(``ossit_client.settings.register_secrets``) in every record (``mask_log_handlers``).
"""

from __future__ import annotations

import logging

from ossit_client import mask_log_handlers

from ossit_airbyte.messages import Level, MessageWriter, log

_LEVELS = (
    (logging.CRITICAL, Level.FATAL),
    (logging.ERROR, Level.ERROR),
    (logging.WARNING, Level.WARN),
    (logging.INFO, Level.INFO),
    (logging.DEBUG, Level.DEBUG),
)


def airbyte_level(levelno: int) -> Level:
    """The protocol's level of a Python level number."""
    return next((level for number, level in _LEVELS if levelno >= number), Level.TRACE)


class LogMessageHandler(logging.Handler):
    """Writes each record as a LOG message (the traceback, if any, as its stack_trace)."""

    def __init__(self, writer: MessageWriter) -> None:
        super().__init__()
        self.writer = writer
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if self.writer.closed:
            return  # standard output's reader has gone: the run stops at its next write
        try:
            message = log(airbyte_level(record.levelno), self.format(record))
            self.writer.write(message)
        except BrokenPipeError:
            return  # the same (the writer is ``closed`` now), and no traceback for it
        except Exception:
            self.handleError(record)


def send_logs_to(writer: MessageWriter, *, debug: bool) -> None:
    """Route every logger's records to ``writer``: INFO and up, or DEBUG with ``debug``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(LogMessageHandler(writer))
    mask_log_handlers(root)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
