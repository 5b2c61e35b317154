"""Errors that say where in the input a run failed: stream, input line and field.

The located ``InputError`` and the loader's errors (a record or a schema refused, a load
refused, an unknown stream) are the core's (``ossit_sync.loading.errors``), re-exported
here: one class per error, whichever side raises it, so catching one catches every
occurrence. The ones declared here are the Singer side's own; they also inherit the
singer-sdk exception a caller may already catch (for example
``RecordsWithoutSchemaException``), so code written against the SDK keeps working.
"""

from __future__ import annotations

from ossit_sync.loading.errors import (
    InputError,
    InvalidRecordError,
    InvalidSchemaError,
    LoadError,
    UnknownStreamError,
)
from singer_sdk.exceptions import MissingKeyPropertiesError, RecordsWithoutSchemaException
from singer_sdk.singerlib.exceptions import InvalidInputLine

__all__ = [
    "InputError",
    "InvalidLineError",
    "InvalidRecordError",
    "InvalidSchemaError",
    "LoadError",
    "MissingKeyError",
    "RecordBeforeSchemaError",
    "UnknownStreamError",
    "located",
]


class InvalidLineError(InputError, InvalidInputLine):
    """A line that is not a JSON Singer message."""


class RecordBeforeSchemaError(InputError, RecordsWithoutSchemaException):
    """A RECORD whose stream has had no SCHEMA message yet."""


class MissingKeyError(InputError, MissingKeyPropertiesError):
    """A record without one of its stream's key properties."""


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
