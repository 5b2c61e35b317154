"""dlt column hints of each kind of record, derived from its JSON Schema (``ossit_schemas``).

Declared once: a field added to a schema reaches the warehouse with its type, and dlt
never has to guess one from a first value (a date read as text, a null-only column typed
as text, a metadata object split into child columns).
"""

from __future__ import annotations

from typing import Any, cast

from dlt.common.schema import TColumnSchema
from ossit_schemas import stream_schema

_TYPES: dict[tuple[str, str | None], str] = {
    ("string", None): "text",
    ("string", "date-time"): "timestamp",
    ("string", "date"): "date",
    ("number", None): "double",
    ("integer", None): "bigint",
    ("boolean", None): "bool",
    ("object", None): "json",
    ("array", None): "json",
}


def columns_of(kind: str) -> dict[str, TColumnSchema]:
    """The dlt columns of ``kind``: name, data type, nullability (and precision)."""
    columns: dict[str, TColumnSchema] = {}
    for name, definition in stream_schema(kind)["properties"].items():
        kinds = definition["type"] if isinstance(definition["type"], list) else [definition["type"]]
        (json_type,) = [kind for kind in kinds if kind != "null"]
        column: dict[str, Any] = {
            "name": name,
            "data_type": _TYPES[json_type, definition.get("format")],
            "nullable": "null" in kinds,
        }
        if column["data_type"] == "timestamp":
            column["precision"] = 6  # the API's microseconds
        columns[name] = cast(TColumnSchema, column)
    return columns
