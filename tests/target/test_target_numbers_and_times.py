"""target-ossit keeps a number exactly or refuses it, naming stream, input line and field.

The rule is the contract's (``ossit_schemas.values``), the same destination-ossit and the
sandbox apply (tests/airbyte/test_destination_numbers_and_times.py,
tests/sandbox/test_sandbox_bad_input.py): text stands for a number only in JSON's number
syntax, a point's value is a double that holds it exactly, metadata integers stay within 64
bits. Nothing of the refused record reaches the API.
"""

from __future__ import annotations

import copy
from typing import Any

import ossit_schemas
import pytest
from bad_numbers import BAD_TEXTS


def _points_schema(*, text_values: bool) -> dict[str, Any]:
    """The points schema; with ``text_values``, a CSV source's: the value may be text."""
    schema = copy.deepcopy(ossit_schemas.stream_schema("points"))
    if text_values:
        schema["properties"]["value"] = {"type": ["number", "string"]}
    return schema


# Every form where the schema lets text through; two where the schema's own check refuses.
CASES = [(case, True) for case in BAD_TEXTS] + [("underscore", False), ("beyond a double", False)]


@pytest.mark.parametrize(("case", "text_values"), CASES)
def test_a_value_whose_text_is_no_json_number_is_refused_on_its_line(
    case: str, text_values: bool, singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    text, says = BAD_TEXTS[case]
    singer.schema("points", _points_schema(text_values=text_values))
    singer.record("points", point("g", "s", 1, "12.5" if text_values else 12.5))
    singer.state({"points": 1})
    bad = singer.record("points", point("g", "s", 2, text))

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    assert f"stream 'points', input line {bad}, field 'value'" in run.stderr
    # A schema that allows text lets the contract's rule speak; one that does not, the schema.
    assert (says if text_values else "must be number") in run.stderr
    assert destination.points() == {("g", "s", "2025-01-02"): 12.5}


@pytest.mark.parametrize(
    ("number", "says"),
    [("1e400", "finite"), ("-1e400", "finite"), (str(2**53 + 1), "holds exactly"),
     (str(2**100 + 1), "holds exactly")],
)  # fmt: skip
def test_a_json_number_no_double_holds_exactly_is_refused_on_its_line(
    number: str, says: str, singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    singer.schema("points")
    singer.record("points", point("g", "s", 1, 1.0))
    singer.state({"points": 1})
    record = singer.lines[-2].replace('"value": 1.0', f'"value": {number}')
    bad = singer.add(record.replace('"2025-01-02"', '"2025-01-03"'))

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    assert f"stream 'points', input line {bad}, field 'value'" in run.stderr
    assert says in run.stderr
    assert destination.points() == {("g", "s", "2025-01-02"): 1.0}


ANY_OBJECT: dict[str, Any] = {"type": "object", "properties": {}}
"""The schema of a warehouse push: the records carry only what their kind needs."""


def _interval(metadata: dict[str, Any]) -> dict[str, Any]:
    return {"external_id": "run-1", "group": "g", "type": "run", "start": "0001-01-01T00:00:00Z",
            "end": "0999-12-31T23:59:59.999999Z", "metadata": metadata}  # fmt: skip


def test_metadata_integers_within_64_bits_and_years_before_1000_are_kept_exactly(
    singer: Any, target_cli: Any, destination: Any
) -> None:
    metadata = {"max": 2**63 - 1, "min": -(2**63), "odd": 2**53 + 1, "x": 0.1}
    singer.schema("statistic_groups", ANY_OBJECT, keys=["name"])
    singer.record("statistic_groups", {"name": "g"})
    singer.schema("intervals", ANY_OBJECT, keys=["external_id"])
    singer.record("intervals", _interval(metadata))

    run = target_cli.run(singer.write())

    assert run.returncode == 0, run.stderr[-2000:]
    (stored,) = destination.records("intervals")
    assert stored["metadata"] == metadata
    assert (stored["start"], stored["end"]) == (
        "0001-01-01T00:00:00.000000Z", "0999-12-31T23:59:59.999999Z"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"n": 2**100 + 1}, "metadata.n"),
        ({"runs": [0, {"count": 2**63}]}, "metadata.runs[1].count"),
    ],
)
def test_a_metadata_integer_beyond_64_bits_is_refused_on_its_line(
    metadata: dict[str, Any], field: str, singer: Any, target_cli: Any, destination: Any
) -> None:
    singer.schema("statistic_groups", ANY_OBJECT, keys=["name"])
    singer.record("statistic_groups", {"name": "g"})
    singer.schema("intervals", ANY_OBJECT, keys=["external_id"])
    bad = singer.record("intervals", _interval(metadata))

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    assert f"stream 'intervals', input line {bad}, field '{field}'" in run.stderr
    assert "within signed 64 bits" in run.stderr
    assert destination.records("intervals") == []
