"""Bad input stops the run with its stream, input line and field; what came before stays.

Every case is the same 2,500 points (batches of 1,000, a STATE after every 500) with one
bad line after the 2,200th point.  The two full batches before it are acknowledged, so
the destination holds exactly their 2,000 points and the last state passed on is the one
after point 2,000; the later ones never are.
"""

from __future__ import annotations

from typing import Any

import ossit_schemas
import pytest

POINTS = 2500
BAD_AFTER = 2200


def _points_schema() -> dict[str, Any]:
    """The points schema without its required list, so the key-property check is reached,
    and without the date format, so an impossible date reaches the API."""
    schema = ossit_schemas.record_schema("points")
    del schema["required"]
    del schema["properties"]["reference_date"]["format"]
    return schema


def _bad_line(point: Any) -> dict[str, Any]:
    return {
        "invalid JSON": '{"type": "RECORD", "stream": "points", "record": {"group": ',
        "schema violation": {
            "type": "RECORD",
            "stream": "points",
            "record": {**point("g", "s", 999, 1.0), "value": "lots"},
        },
        "record before schema": {
            "type": "RECORD",
            "stream": "intervals",
            "record": {"id": "int_1", "group": "g"},
        },
        "missing key property": {
            "type": "RECORD",
            "stream": "points",
            "record": {k: v for k, v in point("g", "s", 999, 1.0).items() if k != "statistic"},
        },
        "refused by the API": {
            "type": "RECORD",
            "stream": "points",
            "record": {**point("g", "s", 999, 1.0), "reference_date": "2025-02-30"},
        },
    }


CASES = {
    # case: (stream named, field named, words of the reason)
    "invalid JSON": (None, None, "not valid JSON"),
    "schema violation": ("points", "value", "must be number"),
    "record before schema": ("intervals", None, "before a corresponding schema"),
    "missing key property": ("points", "statistic", "key property missing"),
    "refused by the API": ("points", "reference_date", "refused by the API"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_on_its_line_and_keeps_earlier_batches(
    case: str, singer: Any, point: Any, target_cli: Any, destination: Any, domain_key: str
) -> None:
    singer.schema("points", _points_schema(), keys=["group", "statistic", "reference_date"])
    expected_states = []
    written = {}
    bad_line = 0
    for n in range(1, POINTS + 1):
        record = point("g", f"s{n % 4}", n, n * 0.5)
        singer.record("points", record)
        if n <= 2000:
            written["g", record["statistic"], record["reference_date"]] = n * 0.5
        if n == BAD_AFTER:
            bad_line = singer.add(_bad_line(point)[case])
        if n % 500 == 0:
            singer.state({"points": n})
            if n <= 2000:
                expected_states.append({"points": n})

    run = target_cli.run(singer.write())

    stream, field, reason = CASES[case]
    assert run.returncode == 1
    message = run.stderr
    assert f"input line {bad_line}" in message
    if stream is not None:
        assert f"stream '{stream}'" in message
    if field is not None:
        assert f"field '{field}'" in message
    assert reason in message
    assert domain_key not in message
    # States may be passed on coalesced (the newest acknowledged one), in input order.
    assert run.states == [state for state in expected_states if state in run.states]
    assert run.states[-1] == expected_states[-1]
    assert destination.points() == written


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"type": "RECORDS", "stream": "points"}, "unknown Singer message type 'RECORDS'"),
        ({"type": "BATCH", "stream": "points", "encoding": {"format": "jsonl"}, "manifest": []},
         "BATCH messages are not supported"),
    ],
)  # fmt: skip
def test_a_message_the_target_cannot_apply_is_refused(
    message: dict[str, Any], reason: str, singer: Any, target_cli: Any
) -> None:
    singer.schema("points")
    line = singer.add(message)

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    assert f"input line {line}: {reason}" in run.stderr
