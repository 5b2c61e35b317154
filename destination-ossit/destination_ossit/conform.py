"""Records as Airbyte hands them over, made to match their stream's schema again.

A sync that goes through a typed store first (PyAirbyte's cache, a warehouse) hands records
over changed in three ways a destination must undo before it checks them against their
stream's schema:

- Airbyte's own columns are added (``_airbyte_raw_id``, ``_airbyte_extracted_at``,
  ``_airbyte_meta``, ...): they are dropped; they are not the record's.
- a ``number`` comes back as a decimal string (``"1.500000000"`` from a DECIMAL column):
  a string where the schema allows no string becomes the number it spells.
- a ``date-time`` comes back without its offset (``"2026-01-02T03:04:05.123456"`` from a
  TIMESTAMP column, which stored it in UTC): a date-time without an offset is read as UTC.

Records straight from a source (no store between) pass unchanged, at the cost of a look at
their keys.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

AIRBYTE_PREFIX = "_airbyte_"
"""How Airbyte's own columns are named (destinations v2 and PyAirbyte caches)."""


def _types(definition: Any) -> set[str]:
    kinds = definition.get("type") if isinstance(definition, dict) else None
    if isinstance(kinds, str):
        return {kinds}
    return {kind for kind in kinds if isinstance(kind, str)} if isinstance(kinds, list) else set()


class Conformer:
    """Undoes what a typed store did to the records of one stream (see the module)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        self._numbers: dict[str, bool] = {}  # field -> integer only
        self._date_times: set[str] = set()
        for name, definition in properties.items():
            kinds = _types(definition)
            if "string" in kinds:
                if isinstance(definition, dict) and definition.get("format") == "date-time":
                    self._date_times.add(name)
            elif kinds & {"number", "integer"}:
                self._numbers[name] = "number" not in kinds

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` as its source wrote it (a new dict only when something changed)."""
        if any(key.startswith(AIRBYTE_PREFIX) for key in data):
            data = {k: v for k, v in data.items() if not k.startswith(AIRBYTE_PREFIX)}
        for name, integer in self._numbers.items():
            value = data.get(name)
            if isinstance(value, str) and (number := _number(value, integer=integer)) is not None:
                data = {**data, name: number}
        for name in self._date_times:
            value = data.get(name)
            if isinstance(value, str) and _naive(value):
                data = {**data, name: value + "Z"}
        return data


def _number(text: str, *, integer: bool) -> int | float | None:
    """The number a decimal string spells (None: it spells none; the schema check says so)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if integer:
        return int(value) if value == value.to_integral_value() else None
    return float(value)


def _naive(text: str) -> bool:
    """Whether ``text`` is an ISO 8601 date-time without an offset."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return False
    return moment.tzinfo is None and "T" in text
