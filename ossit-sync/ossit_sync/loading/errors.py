"""Errors that say where in the input a load failed: stream, input line and field.

A failed load must tell its user which record to look at, so every error about the input
carries its stream and, once known, its 1-based input line (an adapter fills the line in
with ``locate`` when the error passes the code reading that line).
"""

from __future__ import annotations


class InputError(Exception):
    """A message of the input that cannot be loaded, located by stream, line and field."""

    def __init__(
        self,
        reason: str,
        *,
        stream: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = reason
        self.stream = stream
        self.line = line
        self.field = field
        Exception.__init__(self, self._describe())

    def locate(self, *, line: int, stream: str | None) -> None:
        """Fill in the line and stream where the error was raised, unless already known."""
        if self.line is None:
            self.line = line
        if self.stream is None:
            self.stream = stream
        # Loggers print ``args[0]``, so the message is rebuilt, not appended to.
        self.args = (self._describe(),)

    def _describe(self) -> str:
        where = []
        if self.stream is not None:
            where.append(f"stream '{self.stream}'")
        if self.line is not None:
            where.append(f"input line {self.line}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class InvalidRecordError(InputError):
    """A record that breaks its stream's schema or its kind's required fields."""


class InvalidSchemaError(InputError):
    """A schema that cannot be used (invalid, or referring outside itself)."""


class LoadError(InputError):
    """The API refused or failed a write; nothing of the failing batch was applied."""


class UnknownStreamError(InputError):
    """A stream that is none of the four kinds and is not mapped by ``stream_kinds``."""
