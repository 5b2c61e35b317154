"""Records as Airbyte hands them over, made to match their stream's schema again.

A sync that goes through a typed store first (PyAirbyte's cache, a warehouse) hands records
over changed in three ways a destination must undo before it checks them against their
stream's schema:

- Airbyte's own columns are added (``_airbyte_raw_id``, ``_airbyte_extracted_at``,
  ``_airbyte_meta``, ...): they are dropped; they are not the record's.
- a ``number`` comes back as a string: its JSON text (``"1e+29"``) from a text column,
  where the stream's schema keeps it as text (``ossit_airbyte.schemas``, as source-ossit
  declares it), else a decimal (``"1.500000000"``) from a DECIMAL column. A string where
  the schema allows no string becomes the number it spells, by the contract's rule
  (``ossit_schemas.values.parse_number``, the same as target-ossit's): JSON's number syntax
  only, so ``"1_000"``, ``" 12 "``, ``"+5"`` or fullwidth digits stay text for the schema
  check to refuse, and ``"1e400"`` (beyond a double) is refused here, naming its field,
  rather than loaded as an infinity. A DECIMAL column (PyAirbyte's is
  DECIMAL(38, 9)) may have rounded its number with no trace of it, so a store's row with
  one is refused, naming its field, rather than loaded with a value not its source's.
- a ``date-time`` comes back without its offset (``"2026-01-02T03:04:05.123456"`` from a
  TIMESTAMP column, which stored it in UTC): a date-time without an offset is read as UTC.

Records straight from a source (no store between) pass unchanged, at the cost of a look at
their keys.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ossit_airbyte.schemas import number_as_text
from ossit_schemas import values
from ossit_sync.loading import InvalidRecordError

AIRBYTE_PREFIX = "_airbyte_"
"""How Airbyte's own columns are named (destinations v2 and PyAirbyte caches)."""


def _types(definition: Any) -> set[str]:
    kinds = definition.get("type") if isinstance(definition, dict) else None
    if isinstance(kinds, str):
        return {kinds}
    return {kind for kind in kinds if isinstance(kind, str)} if isinstance(kinds, list) else set()


class Conformer:
    """Undoes what a typed store did to the records of one stream (see the module)."""

    def __init__(self, schema: dict[str, Any], *, stream: str | None = None) -> None:
        self._stream = stream
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        self._numbers: dict[str, bool] = {}  # field -> integer only
        self._date_times: set[str] = set()
        self._in_decimals: set[str] = set()  # numbers a typed store keeps in a DECIMAL column
        for name, definition in properties.items():
            kinds = _types(definition)
            if "string" in kinds:
                if isinstance(definition, dict) and definition.get("format") == "date-time":
                    self._date_times.add(name)
            elif kinds & {"number", "integer"}:
                self._numbers[name] = "number" not in kinds
                if "number" in kinds and not number_as_text(definition):
                    self._in_decimals.add(name)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` as its source wrote it (a new dict only when something changed).

        ``InvalidRecordError`` for a number in JSON form that no double holds (``"1e400"``),
        and for a store's row with a number its store may have rounded (see the module).
        """
        if any(key.startswith(AIRBYTE_PREFIX) for key in data):
            data = {k: v for k, v in data.items() if not k.startswith(AIRBYTE_PREFIX)}
            self._refuse_decimals(data)
        for name, integer in self._numbers.items():
            value = data.get(name)
            if (
                isinstance(value, str)
                and (number := self._number(name, value, integer)) is not None
            ):
                data = {**data, name: number}
        for name in self._date_times:
            value = data.get(name)
            if isinstance(value, str) and _naive(value):
                data = {**data, name: value + "Z"}
        return data

    def _refuse_decimals(self, data: dict[str, Any]) -> None:
        """Refuse a store's row whose number came back as the text of a DECIMAL column."""
        for name in self._in_decimals:
            value = data.get(name)
            if isinstance(value, str):
                raise InvalidRecordError(
                    f"{value!r} came from a typed store's DECIMAL column, which may have "
                    "rounded it (PyAirbyte's keeps 9 decimals); declare the field "
                    '"airbyte_type": "string" in the stream\'s schema, as source-ossit does, '
                    "so that the store keeps its text",
                    stream=self._stream,
                    field=name,
                )

    def _number(self, name: str, text: str, integer: bool) -> int | float | None:
        """The number ``text`` spells (None: it spells none; the schema check says so)."""
        if values.JSON_NUMBER.fullmatch(text) is None:
            return None
        try:
            number = values.parse_number(text)
        except ValueError as exc:
            raise InvalidRecordError(str(exc), stream=self._stream, field=name) from None
        if integer and isinstance(number, float):
            # "42.000000000" (a DECIMAL column) is 42, exactly; "42.5" is no integer. Finite
            # as a double, the number has at most 309 digits before its point.
            exact = Decimal(text)
            return int(exact) if exact == exact.to_integral_value() else None
        return number


def _naive(text: str) -> bool:
    """Whether ``text`` is an ISO 8601 date-time without an offset (read as UTC)."""
    try:
        values.parse_timestamp(text + "Z")
    except ValueError:
        return False
    return True
