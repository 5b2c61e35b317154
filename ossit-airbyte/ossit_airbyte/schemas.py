"""Stream schemas as Airbyte clients store them: every double kept exactly.

A typed store between a source and a destination (PyAirbyte's cache) makes a column per
field from the field's JSON Schema: PyAirbyte 0.71.3 (``airbyte.types``) makes a
``number`` a DECIMAL(38, 9), which turns 1e-10 and 5e-324 into 0 and 1.2345678901234567
into 1.23456789 and fails the read from 1e29 up. No type of its map is a DOUBLE, but it
honours ``airbyte_type`` before ``type``, and ``"string"`` gives a text column, into which
its DuckDB cache copies each number's JSON text unchanged ("1e+29", "5e-324"); the
destination reads that text back as the same double (``destination_ossit.conform``).

So source-ossit declares each ``number`` field ``"airbyte_type": "string"`` too. Its
``type`` stays ``number``: the records carry JSON numbers, and a destination that reads
``type`` (an ``airbyte_type`` other than ``integer`` on a number is not its business)
sees a number as before.
"""

from __future__ import annotations

from typing import Any

import ossit_schemas

NUMBER_AS_TEXT = {"airbyte_type": "string"}
"""What a ``number`` field adds so that a typed store keeps its text, not a DECIMAL."""


def _types(definition: Any) -> set[str]:
    kinds = definition.get("type") if isinstance(definition, dict) else None
    if isinstance(kinds, str):
        return {kinds}
    return {kind for kind in kinds if isinstance(kind, str)} if isinstance(kinds, list) else set()


def number_as_text(definition: Any) -> bool:
    """Whether a field's definition is a ``number`` a typed store keeps as its text."""
    return (
        "number" in _types(definition)
        and definition.get("airbyte_type") == NUMBER_AS_TEXT["airbyte_type"]
    )


def stream_schema(kind: str) -> dict[str, Any]:
    """``ossit_schemas.stream_schema(kind)`` with each ``number`` field kept as text."""
    schema = ossit_schemas.stream_schema(kind)
    for definition in schema["properties"].values():
        if "number" in _types(definition):
            definition.update(NUMBER_AS_TEXT)
    return schema
