"""The contract's grammar of numbers and times (``ossit_schemas.values``), case by case.

Every package reads numbers and times through this module, so each row here is a promise
the target, the destination, the core and the sandbox keep alike: a value is kept exactly
or refused with a reason, never changed.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest
from ossit_schemas import values
from ossit_sync.loading.superseded import SUPERSEDED, LatestChanges
from ossit_sync.reading import api_timestamp, later
from ossit_sync.reading.settings import read_setting_errors

BAD_NUMBER_TEXTS = [
    "1_000", " 12 ", "12 ", "\uff11\uff10", "\u0661\u0662", "+5", "inf", "-Infinity", "nan",
    "NaN", "0x10", "1.", ".5", "01", "1e", "--1", "", "1,5", "12\n",
]  # fmt: skip


@pytest.mark.parametrize("text", BAD_NUMBER_TEXTS)
def test_text_that_is_no_json_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be a number in JSON form"):
        values.parse_number(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", 0), ("-0", 0), ("12", 12), ("12.5", 12.5), ("-1.5e3", -1500.0), ("1E+2", 100.0),
        ("1.500000000", 1.5), ("0E-9", 0.0), ("1e308", 1e308),
        (str(2**100 + 1), 2**100 + 1),  # an integer literal is read exactly
    ],
)  # fmt: skip
def test_a_json_number_text_is_read_as_json_reads_it(text: str, number: float) -> None:
    read = values.parse_number(text)
    assert read == number
    assert type(read) is (int if text.lstrip("-").isdigit() else float)


@pytest.mark.parametrize("text", ["1e400", "-1e400", "1" + "0" * 400 + ".0"])
def test_a_number_text_beyond_a_double_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be a finite number"):
        values.parse_number(text)


@pytest.mark.parametrize(
    ("value", "stored"),
    [(12, 12.0), (-3.25, -3.25), (2**53, float(2**53)), (-(2**53), -float(2**53)),
     (2**60, float(2**60)),  # larger, but a double holds it exactly
     (1e308, 1e308), (0.1, 0.1)],
)  # fmt: skip
def test_a_point_value_a_double_holds_is_kept(value: float, stored: float) -> None:
    assert values.double(value) == stored


@pytest.mark.parametrize(
    ("value", "reason"),
    [(2**53 + 1, "holds exactly"), (2**100 + 1, "holds exactly"), (10**400, "holds exactly"),
     (math.inf, "finite"), (-math.inf, "finite"), (math.nan, "finite"),
     (True, "must be a number"), ("12", "must be a number"), (None, "must be a number")],
)  # fmt: skip
def test_a_point_value_no_double_holds_is_refused(value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        values.double(value)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"n": 2**63 - 1, "m": -(2**63), "x": 1.5, "t": True, "s": "9" * 40}, None),
        ({"n": 2**63}, "n"),
        ({"runs": [{"count": 1}, {"count": 2**100 + 1}]}, "runs[1].count"),
        ({"a": {"b": -(2**63) - 1}}, "a.b"),
        ({"x": math.inf}, "x"),
        ([math.nan], "[0]"),
    ],
)
def test_metadata_numbers_are_kept_within_64_bits_and_finite(
    document: Any, problem: str | None
) -> None:
    found = values.json_problem(document)
    assert (found and found[0]) == problem


def test_json_text_keeps_big_integers_and_leaves_out_of_range_numbers_to_their_field() -> None:
    message = values.loads(b'{"n": 1267650600228229401496703205377, "x": 1e400, "y": 0.5}')
    assert message["n"] == 2**100 + 1
    assert message["x"] == math.inf  # the field's own check refuses it by name
    assert values.dumps(message["n"]) == b"1267650600228229401496703205377"


@pytest.mark.parametrize(
    "text",
    [b'{"a": ', b"[NaN]", b"[Infinity]", b"{} x", b"[" * 5000 + b"]" * 5000, b"1" * 5000,
     b'"\xff"', '"\udcff"', b"[1e400, NaN]"],
)  # fmt: skip
def test_text_that_is_no_json_is_one_error(text: bytes | str) -> None:
    with pytest.raises(values.JSONTextError):
        values.loads(text)


# -- times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2026-11-25T04:01:53Z", "2026-11-25T04:01:53.000000Z"),
        ("2026-11-25t04:01:53.5z", "2026-11-25T04:01:53.500000Z"),
        ("2026-11-25 04:01:53.123456+01:30", "2026-11-25T02:31:53.123456Z"),
        ("2026-11-25T04:01:53.123456000Z", "2026-11-25T04:01:53.123456Z"),  # zeros: exact
        ("2026-11-25T04:01:53-00:00", "2026-11-25T04:01:53.000000Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),  # a 4-digit year, always
        ("0999-12-31T23:59:59Z", "0999-12-31T23:59:59.000000Z"),
        ("0001-01-01T00:00:00-01:00", "0001-01-01T01:00:00.000000Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_a_timestamp_is_written_in_one_sortable_form(text: str, canonical: str) -> None:
    assert values.canonical_timestamp(text) == canonical


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-11-25T04:01:53", "UTC offset"),  # the API needs an offset
        ("2026-11-25", "UTC offset"),
        ("20261125T040153Z", "ISO 8601 timestamp"),  # basic format
        ("2026-W48-3T04:01:53Z", "ISO 8601 timestamp"),
        ("2026-11-25T04:01Z", "ISO 8601 timestamp"),  # no seconds
        ("2026-11-25T04:01:53,5Z", "ISO 8601 timestamp"),
        ("2026-11-25T04:01:53+0100", "ISO 8601 timestamp"),
        ("\uff12\uff10\uff12\uff16-11-25T04:01:53Z", "ISO 8601 timestamp"),
        ("2026-11-25T04:01:53.1234567Z", "6 fractional digits"),  # would be cut
        ("2026-11-25T24:00:00Z", "real moment"),
        ("2026-11-25T04:01:60Z", "real moment"),
        ("2026-02-30T00:00:00Z", "real moment"),
        ("0000-01-01T00:00:00Z", "real moment"),
        ("2026-01-01T00:00:00+24:00", "offset"),
        ("2026-01-01T00:00:00+01:60", "offset"),
        ("0001-01-01T00:00:00+01:00", "within 0001-01-01"),  # year 0 in UTC
        ("9999-12-31T23:59:59-01:00", "within 0001-01-01"),  # year 10000 in UTC
        (20261125, "string"),
    ],
)
def test_a_timestamp_outside_the_grammar_is_refused(text: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        values.parse_timestamp(text)


def test_a_setting_or_bookmark_may_leave_out_the_offset_or_the_time() -> None:
    assert api_timestamp("2026-01-02T03:04:05") == "2026-01-02T03:04:05.000000Z"
    assert api_timestamp("2026-01-02") == "2026-01-02T00:00:00.000000Z"
    with pytest.raises(ValueError):
        api_timestamp("2026-01-02T03:04")


@pytest.mark.parametrize(
    ("text", "day"),
    [("2026-02-28", datetime.date(2026, 2, 28)), ("0001-01-01", datetime.date(1, 1, 1))],
)
def test_a_date_is_yyyy_mm_dd(text: str, day: datetime.date) -> None:
    assert values.parse_date(text) == day


@pytest.mark.parametrize(
    "text",
    ["2026-02-30", "0000-01-01", "\uff12\uff10\uff12\uff16-01-01", "2026-1-1", "2026-01-01\n"],
)
def test_a_date_outside_the_grammar_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="date YYYY-MM-DD"):
        values.parse_date(text)


# -- where the core uses it --------------------------------------------------------------------


def test_start_date_is_checked_by_the_same_rule_the_reads_use() -> None:
    assert read_setting_errors({"start_date": "0001-01-01T00:00:00Z"}) == []
    assert read_setting_errors({"start_date": "2026-01-01"}) == []
    (error,) = read_setting_errors({"start_date": "0001-01-01T00:00:00+01:00"})
    assert error.startswith("start_date '0001-01-01T00:00:00+01:00' is not an ISO 8601 date-time")
    assert "within 0001-01-01" in error


@pytest.mark.parametrize(
    ("bookmark", "start_date", "start"),
    [
        ("0999-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "0999-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00Z", "0999-01-01T00:00:00Z", "0999-01-01T00:00:00Z"),
        ("0500-01-01T00:00:00.000000Z", "2026-01-01", "2026-01-01"),
        ("2026-01-01T05:00:00+06:00", "2025-12-31T23:30:00Z", "2025-12-31T23:30:00Z"),
    ],
)
def test_the_later_start_is_found_for_years_before_1000_and_any_offset(
    bookmark: str, start_date: str, start: str
) -> None:
    assert later(bookmark, start_date) == start


def test_the_loaders_ordering_holds_for_years_before_1000() -> None:
    changes = LatestChanges()
    item = {"name": "g"}
    assert changes.observe("statistic_groups", item, {"updated_at": "0999-06-01T00:00:00Z"})
    # Year 1 is older than year 999, whatever its spelling: the record is superseded.
    older = {"updated_at": "0001-01-01T00:00:00+00:00"}
    assert changes.observe("statistic_groups", item, older) == SUPERSEDED
    newer = {"updated_at": "2026-01-01T00:00:00Z"}
    assert changes.observe("statistic_groups", item, newer) != SUPERSEDED
