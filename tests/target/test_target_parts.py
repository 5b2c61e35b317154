"""The target's parts on their own: validator messages, error locations, state release."""

from __future__ import annotations

from typing import Any

import ossit_schemas
import pytest
from singer_sdk.exceptions import InvalidJSONSchema, RecordsWithoutSchemaException
from target_ossit._sdk import FastValidator
from target_ossit.errors import InputError, InvalidRecordError, RecordBeforeSchemaError, located

POINT = {
    "id": "pt_1",
    "statistic_id": "stat_1",
    "group": "g",
    "statistic": "s",
    "reference_date": "2025-01-31",
    "value": 1.5,
    "created_at": "2026-01-01T00:00:00.000000Z",
    "updated_at": "2026-01-01T00:00:00.000000Z",
    "deleted_at": None,
}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"value": "1.5"}, "value", "value must be number"),
        ({"value": True}, "value", "value must be number"),
        ({"reference_date": "2025-02-30"}, "reference_date", "must be date"),
        ({"updated_at": "yesterday"}, "updated_at", "must be date-time"),
        ({"group": ""}, "group", "must be longer than or equal to 1 characters"),
        ({"group": None}, "group", "must be string"),
        ({"extra": 1}, None, "must not contain {'extra'} properties"),
        ({"statistic": ...}, "statistic", "must contain"),
    ],
)
def test_the_validator_names_the_field_that_breaks_the_schema(
    change: dict[str, Any], field: str | None, reason: str
) -> None:
    validator = FastValidator(ossit_schemas.record_schema("points"), stream="points")
    record = {k: v for k, v in {**POINT, **change}.items() if v is not ...}

    with pytest.raises(InvalidRecordError) as caught:
        validator.validate(record)

    assert caught.value.field == field
    assert caught.value.stream == "points"
    assert reason in caught.value.reason


def test_the_validator_accepts_a_valid_record_and_leaves_it_unchanged() -> None:
    schema = {"type": "object", "properties": {"unit": {"type": "string", "default": "kg"}}}
    record = dict(POINT)

    FastValidator(ossit_schemas.record_schema("points"), stream="points").validate(record)
    FastValidator(schema, stream="s").validate(record)

    assert record == POINT


def test_a_nested_field_is_named_by_its_path() -> None:
    schema = {
        "type": "object",
        "properties": {"metadata": {"type": "object", "required": ["lot"]}},
    }
    with pytest.raises(InvalidRecordError) as caught:
        FastValidator(schema, stream="s").validate({"metadata": {}})
    assert caught.value.field == "metadata.lot"


def test_an_invalid_schema_is_refused() -> None:
    with pytest.raises(InvalidJSONSchema, match="stream 's'"):
        FastValidator({"type": "object", "properties": {"a": {"type": "decimal"}}}, stream="s")


def test_an_error_is_located_once_and_keeps_its_sdk_class() -> None:
    error = InvalidRecordError("must be number", stream="points", field="value")
    error.locate(line=7, stream="other")
    error.locate(line=9, stream=None)
    assert str(error) == "stream 'points', input line 7, field 'value': must be number"
    assert error.args == (str(error),)

    sdk_error = located(RecordsWithoutSchemaException("no schema"), line=3, stream="points")
    assert isinstance(sdk_error, RecordBeforeSchemaError)
    assert isinstance(sdk_error, RecordsWithoutSchemaException)
    assert str(sdk_error) == "stream 'points', input line 3: no schema"

    other = located(KeyError("x"), line=4, stream=None)
    assert type(other) is InputError
    assert str(other) == "input line 4: KeyError: 'x'"
