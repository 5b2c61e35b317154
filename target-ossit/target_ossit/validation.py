"""Record validation compiled to Python code, so checking a record costs microseconds.

singer-sdk validates with ``jsonschema``, which interprets the schema for every record
(about 50 µs for a point) and spends most of a default target's time there.
``fastjsonschema`` compiles the schema once into plain Python (about 3 µs a point) and
keeps every check: types, required fields, enums, patterns, lengths and, unlike the
SDK's default, string formats such as ``date`` and ``date-time`` too.
"""

from __future__ import annotations

from typing import Any

import fastjsonschema
from singer_sdk.exceptions import InvalidJSONSchema
from singer_sdk.sinks.core import BaseJSONSchemaValidator

from target_ossit.errors import InvalidRecordError


class FastValidator(BaseJSONSchemaValidator):
    """Validates records against a stream's schema with code compiled by fastjsonschema."""

    def __init__(self, schema: dict[str, Any], *, stream: str) -> None:
        super().__init__(schema)
        self._stream = stream
        try:
            # use_default=False: validation must never change the record it checks.
            self._check = fastjsonschema.compile(schema, use_default=False)
        except fastjsonschema.JsonSchemaDefinitionException as exc:
            msg = f"stream '{stream}': invalid schema: {exc}"
            raise InvalidJSONSchema(msg) from exc

    def validate(self, record: dict[str, Any]) -> None:
        """Raise ``InvalidRecordError`` naming the first field that breaks the schema."""
        try:
            self._check(record)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise InvalidRecordError(
                exc.message.removeprefix("data.").removeprefix("data "),
                stream=self._stream,
                field=_field_of(exc, record),
            ) from None


def _field_of(exc: fastjsonschema.JsonSchemaValueException, record: dict[str, Any]) -> str | None:
    """The dotted path of the offending field; for a missing one, the first absent name."""
    path = [str(part) for part in (exc.path or [])[1:]]
    if exc.rule == "required" and isinstance(exc.rule_definition, list):
        parent: Any = record
        for part in path:
            parent = parent.get(part, {}) if isinstance(parent, dict) else {}
        missing = [name for name in exc.rule_definition if name not in parent]
        if missing:
            path.append(missing[0])
    return ".".join(path) or None
