"""Errors that say where in the input a run failed: stream, input line and field.

A failed load must tell its user which line of the tap's output to look at, so every
error the target raises about the input carries the 1-based input line number.  The
classes also inherit the singer-sdk exception a caller may already catch (for example
``RecordsWithoutSchemaException``), so code written against the SDK keeps working.
"""

from __future__ import annotations

from singer_sdk.exceptions import (
    InvalidJSONSchema,
    InvalidRecord,
    MissingKeyPropertiesError,
    RecordsWithoutSchemaException,
)
from singer_sdk.singerlib.exceptions import InvalidInputLine


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
        # The SDK's excepthook logs ``args[0]``, so the message is rebuilt, not appended.
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


class InvalidLineError(InputError, InvalidInputLine):
    """A line that is not a JSON Singer message."""


class RecordBeforeSchemaError(InputError, RecordsWithoutSchemaException):
    """A RECORD whose stream has had no SCHEMA message yet."""


class MissingKeyError(InputError, MissingKeyPropertiesError):
    """A record without one of its stream's key properties."""


class InvalidRecordError(InputError, InvalidRecord):
    """A record that breaks its stream's schema or its kind's required fields."""


class InvalidSchemaError(InputError, InvalidJSONSchema):
    """A SCHEMA message whose schema cannot be used (invalid, or referring outside itself)."""


class UnknownStreamError(InputError):
    """A stream that is none of the four kinds and is not mapped by ``stream_kinds``."""


class LoadError(InputError):
    """The API refused or failed a write; nothing of the failing batch was applied."""


def located(exc: Exception, *, line: int, stream: str | None) -> InputError:
    """The error to raise for ``exc``, raised while handling input line ``line``.

    Errors of the SDK keep their SDK class (through the classes above) and gain the line.
    """
    for sdk_class, our_class in _LOCATED_CLASSES:
        if isinstance(exc, sdk_class):
            return our_class(str(exc), stream=stream, line=line)
    return InputError(f"{type(exc).__name__}: {exc}", stream=stream, line=line)


_LOCATED_CLASSES: tuple[tuple[type[Exception], type[InputError]], ...] = (
    (RecordsWithoutSchemaException, RecordBeforeSchemaError),
    (MissingKeyPropertiesError, MissingKeyError),
    (InvalidInputLine, InvalidLineError),
)
