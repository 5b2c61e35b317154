"""Records a typed store changed (PyAirbyte's cache) load as their source wrote them."""

from __future__ import annotations

from typing import Any

import pytest
from destination_ossit.conform import Conformer
from ossit_airbyte.schemas import stream_schema as airbyte_schema
from ossit_schemas import record_schema
from ossit_sync.loading import InvalidRecordError

POINT = {
    "group": "g",
    "statistic": "s",
    "reference_date": "2026-01-02",
    "value": 1.5,
    "id": "pt_1",
    "statistic_id": "stat_1",
    "created_at": "2026-01-02T03:04:05.123456Z",
    "updated_at": "2026-01-02T03:04:05.123456Z",
    "deleted_at": None,
}


def test_a_record_straight_from_a_source_is_the_same_object() -> None:
    conform = Conformer(record_schema("points"))
    assert conform(POINT) is POINT


def test_airbyte_columns_number_texts_and_naive_date_times_are_undone() -> None:
    conform = Conformer(airbyte_schema("points"))  # numbers kept as text by the store
    cached: dict[str, Any] = {
        **POINT,
        "value": "1.5",
        "created_at": "2026-01-02T03:04:05.123456",
        "updated_at": "2026-01-02T03:04:05",
        "deleted_at": "2026-01-03T00:00:00",
        "_airbyte_raw_id": "06b0",
        "_airbyte_extracted_at": "2026-11-29T11:30:52.708000",
        "_airbyte_meta": {},
    }

    assert conform(cached) == {
        **POINT,
        "created_at": "2026-01-02T03:04:05.123456Z",
        "updated_at": "2026-01-02T03:04:05Z",
        "deleted_at": "2026-01-03T00:00:00Z",
    }
    assert "_airbyte_raw_id" in cached  # the input is not changed in place


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("value", "abc"),  # no number: left for the schema check to name
        ("value", "NaN"),
        ("reference_date", "2026-01-02"),  # a date is no date-time
        ("created_at", "2026-01-02T03:04:05+02:00"),  # an offset is kept
        ("group", "12.5"),  # a string field stays a string
    ],
)
def test_what_is_not_a_store_s_change_is_left_alone(field: str, value: str) -> None:
    conform = Conformer(record_schema("points"))
    assert conform({**POINT, field: value})[field] == value


def test_integers_come_back_as_integers_and_fractions_are_not_cut() -> None:
    conform = Conformer(
        {"properties": {"n": {"type": ["integer", "null"]}, "x": {"type": "number"}}}
    )
    assert conform({"n": "42.000000000", "x": "2.000000000"}) == {"n": 42, "x": 2.0}
    assert conform({"n": "42.5"}) == {"n": "42.5"}  # no integer: the schema check names it


def test_a_store_s_row_with_a_number_from_a_decimal_column_is_refused_by_name() -> None:
    """Without ``airbyte_type: string`` a store keeps a number in a DECIMAL column (9
    decimals in PyAirbyte's), which may have rounded it: refused, not loaded changed."""
    row = {**POINT, "value": "0E-9", "_airbyte_raw_id": "06b0"}

    with pytest.raises(InvalidRecordError) as refused:
        Conformer(record_schema("points"), stream="points")(row)

    assert "stream 'points', field 'value': '0E-9' came from a typed store's DECIMAL" in str(
        refused.value
    )
    assert Conformer(airbyte_schema("points"))({**row, "value": "1e-10"})["value"] == 1e-10
