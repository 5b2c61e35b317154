"""Bad input of every parse path is a 4xx naming the field, never a 500.

A 500 makes clients retry for a minute, so each value here once reached an exception the
sandbox did not expect: digits of other scripts, timestamps that leave the calendar once
converted to UTC, JSON nested deeper than orjson writes, numbers past a float or SQLite's
integers, names too long for the file system. A number or a time is kept exactly or refused
naming its field (``ossit_schemas.values``), never changed: no float stands for an integer
past 64 bits, no timestamp loses its nanoseconds.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from ossit_sandbox.launcher import SandboxServer
from ossit_schemas import METADATA_MAX_DEPTH
from sandbox_api import Api

EDGE_TIMESTAMPS = [
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "0001-01-01T00:59:59.999999+01:00",
    "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    "9999-12-31T23:00:00-23:59",
    "2026-01-01T00:00:00+24:00",  # no such offset
    "\uff12\uff10\uff12\uff16-01-01T00:00:00Z",
]


def _field_error(answer: Any, field: str, status: int = 422) -> dict[str, Any]:
    """The error of a 4xx naming ``field`` (in `error.field` and in the message)."""
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["field"] == field and field in error["message"], error
    return error


def _item_error(answer: Any, field: str) -> None:
    """A batch's 422 listing an item whose ``field`` is bad."""
    assert answer.status_code == 422, answer.text
    assert [item["field"] for item in answer.json()["error"]["items"]] == [field]


def _nested(depth: int) -> dict[str, Any]:
    """A JSON object ``depth`` levels deep (``{}`` is 1), alternating objects and arrays."""
    value: Any = {}
    for level in reversed(range(depth - 1)):
        value = [value] if level % 2 else {"a": value}
    return value


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


BAD_LIMITS = [
    "\uff11\uff10",  # fullwidth 10: str.isdigit and int() accept it
    "\u0661\u0660",  # Arabic-Indic 10
    "\u0663",
    "0", "1001", "-1", "+5", " 5", "5 ", "1e2", "99999999999999999999999999", "",
]  # fmt: skip


@pytest.mark.parametrize("limit", BAD_LIMITS)
def test_a_bad_limit_is_422_naming_limit(api: Api, limit: str) -> None:
    _field_error(api.get("/statistic-groups", limit=limit), "limit")


@pytest.mark.parametrize("since", EDGE_TIMESTAMPS)
def test_an_updated_since_outside_the_calendar_is_422(api: Api, since: str) -> None:
    _field_error(api.get("/points", updated_since=since), "updated_since")


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("stamp", EDGE_TIMESTAMPS)
def test_an_interval_timestamp_outside_the_calendar_is_422(
    api: Api, field: str, stamp: str
) -> None:
    body = {"group": "g", "type": "run", "start": "2026-01-01T00:00:00Z", field: stamp}
    _field_error(api.post("/intervals", {**body, "create_missing": True}), field)
    _item_error(api.post("/intervals/batch", {"intervals": [body], "create_missing": True}), field)


OFF_GRAMMAR_TIMESTAMPS = [
    "2026-01-01T00:00:00.1234567Z",  # would be cut to microseconds
    "20260101T000000Z",  # ISO 8601's basic form, which RFC 3339 is not
    "2026-W01-4T00:00:00Z",
    "2026-01-01T00:00Z",  # no seconds
    "2026-01-01T00:00:00+0100",
    "2026-01-01T00:00:00,5Z",
    "2026-01-01",
]


@pytest.mark.parametrize("stamp", OFF_GRAMMAR_TIMESTAMPS)
def test_a_timestamp_outside_rfc_3339_is_422(api: Api, stamp: str) -> None:
    _field_error(api.get("/points", updated_since=stamp), "updated_since")
    body = {"group": "g", "type": "run", "start": stamp, "create_missing": True}
    _field_error(api.post("/intervals", body), "start")


def test_timestamps_at_the_edges_that_stay_in_the_calendar_work(api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    body = {"group": "g", "type": "run", "start": "0001-01-01T00:00:00-01:00",
            "end": "9999-12-31T23:59:59+01:00"}  # fmt: skip
    created = api.ok(api.post("/intervals", body), 201)
    assert (created["start"], created["end"]) == (
        "0001-01-01T01:00:00.000000Z", "9999-12-31T22:59:59.000000Z"
    )  # fmt: skip
    api.ok(api.get("/intervals", updated_since="0001-01-01T00:00:00Z"))


@pytest.mark.parametrize("depth", [METADATA_MAX_DEPTH + 1, 255, 600])
def test_metadata_nested_too_deep_is_422_naming_metadata(api: Api, depth: int) -> None:
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    body = {"group": "g", "type": "run", "start": "2026-01-01T00:00:00Z"}
    _field_error(api.post("/intervals", {**body, "metadata": _nested(depth)}), "metadata")
    batch = {"intervals": [{**body, "metadata": _nested(depth)}]}
    _item_error(api.post("/intervals/batch", batch), "metadata")
    created = api.ok(api.post("/intervals", body), 201)
    _field_error(api.put(f"/intervals/{created['id']}", {"metadata": _nested(depth)}), "metadata")


def test_metadata_at_the_depth_limit_is_stored_and_answered(api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    deep = _nested(METADATA_MAX_DEPTH)
    body = {"group": "g", "type": "run", "start": "2026-01-01T00:00:00Z", "metadata": deep}
    created = api.ok(api.post("/intervals", body), 201)
    assert api.ok(api.get(f"/intervals/{created['id']}"))["metadata"] == deep


@pytest.mark.parametrize("payload", [["2026-01-01T00:00:00.000000Z", 2**63],
                                     ["2026-01-01T00:00:00.000000Z", -1],
                                     ["2026-01-01T00:00:00.000000Z", True],
                                     ["2026-01-01T00:00:00.000000Z", 2**64 - 1]])  # fmt: skip
def test_a_cursor_with_an_id_out_of_range_is_422(api: Api, payload: list[Any]) -> None:
    for path in ("/statistic-groups", "/statistics", "/points", "/intervals"):
        _field_error(api.get(path, cursor=_cursor(payload)), "cursor")
    _field_error(api.get(path, cursor="eyJ" + "A" * 5000), "cursor")


@pytest.mark.parametrize("method", ["add", "subtract"])
def test_a_sum_past_the_float_range_is_422_naming_value(api: Api, method: str) -> None:
    sign = 1 if method == "add" else -1
    day = {"group": "g", "name": "s", "reference_date": "2026-01-01", "value": sign * 1.7e308}
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    api.ok(api.post("/statistics", day), 201)
    change = {"method": method, "value": 1.7e308, "reference_date": "2026-01-01"}
    _field_error(api.post("/statistics/g/s", change), "value")
    item = {"group": "g", "statistic": "s", **change}
    _field_error(api.post("/points/batch", {"points": [item]}), "value")
    assert api.ok(api.get("/statistics/g/s"))["value"] == sign * 1.7e308


def _post_raw(api: Api, path: str, body: bytes) -> Any:
    return api.call("POST", path, data=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("value", [b"1" * 5000, b'"\xff"', b"NaN"])
def test_a_body_that_is_no_json_is_400(api: Api, value: bytes) -> None:
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    body = b'{"group": "g", "name": "s", "value": ' + value + b"}"
    answer = _post_raw(api, "/statistics", body)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize(
    ("value", "says"),
    [(b"1e400", "finite"), (b"-1e400", "finite"),
     (b"18446744073709551617", "holds exactly"),  # 2**64 + 1: was stored as 2**64
     (b"9007199254740993", "holds exactly")],  # 2**53 + 1
)  # fmt: skip
def test_a_value_no_double_holds_exactly_is_422_naming_value(
    api: Api, value: bytes, says: str
) -> None:
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    created = _post_raw(api, "/statistics", b'{"group": "g", "name": "s", "value": ' + value + b"}")
    assert says in _field_error(created, "value")["message"]
    api.ok(api.post("/statistics", {"group": "g", "name": "s"}), 201)
    item = b'{"group": "g", "statistic": "s", "reference_date": "2026-01-01", "value": '
    _item_error(_post_raw(api, "/points/batch", b'{"points": [' + item + value + b"}]}"), "value")
    update = _post_raw(api, "/statistics/g/s", b'{"method": "set", "value": ' + value + b"}")
    _field_error(update, "value")
    assert api.read_all("/points") == []


@pytest.mark.parametrize(
    ("metadata", "field"),
    [(b'{"n": 1267650600228229401496703205377}', "metadata.n"),  # 2**100 + 1
     (b'{"runs": [1, {"count": 9223372036854775808}]}', "metadata.runs[1].count"),  # 2**63
     (b'{"x": -1e400}', "metadata.x")],
)  # fmt: skip
def test_a_metadata_number_the_api_cannot_keep_is_422_naming_its_path(
    api: Api, metadata: bytes, field: str
) -> None:
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    body = b'{"group": "g", "type": "run", "start": "2026-01-01T00:00:00Z", "metadata": '
    _field_error(_post_raw(api, "/intervals", body + metadata + b"}"), field)
    batch = b'{"intervals": [' + body + metadata + b"}]}"
    _item_error(_post_raw(api, "/intervals/batch", batch), field)
    created = api.ok(
        api.post("/intervals", {"group": "g", "type": "run", "start": "2026-01-01T00:00:00Z"}), 201
    )
    update = b'{"metadata": ' + metadata + b"}"
    answer = api.call("PUT", f"/intervals/{created['id']}", data=update,
                      headers={"Content-Type": "application/json"})  # fmt: skip
    _field_error(answer, field)
    assert api.ok(api.get(f"/intervals/{created['id']}"))["metadata"] is None


def test_metadata_integers_within_64_bits_are_kept_exactly(api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    metadata = {"max": 2**63 - 1, "min": -(2**63), "odd": 2**53 + 1, "x": 0.1}
    body = {"group": "g", "type": "run", "start": "2026-01-01T00:00:00Z", "metadata": metadata}
    created = api.ok(api.post("/intervals", body), 201)
    assert created["metadata"] == metadata
    assert api.ok(api.get(f"/intervals/{created['id']}"))["metadata"] == metadata


@pytest.mark.parametrize("zone", ["A" * 5000, "Europe/" + "x" * 300, "a\x00b", "../../etc/passwd"])
def test_a_time_zone_no_file_system_could_hold_is_422(api: Api, zone: str) -> None:
    _field_error(api.post("/domains", {"name": "d", "time_zone": zone}), "time_zone")
    _field_error(api.post(f"/domains/{api.key}", {"time_zone": zone}), "time_zone")


@pytest.mark.parametrize(
    "day", ["\uff12\uff10\uff12\uff16-01-01", "2026-01-01\n", "0000-01-01", "2026-02-30"]
)
def test_a_bad_date_is_422_in_bodies_and_queries(api: Api, day: str) -> None:
    api.ok(api.post("/statistic-groups", {"name": "g"}), 201)
    body = {"group": "g", "name": "s", "value": 1, "reference_date": day}
    _field_error(api.post("/statistics", body), "reference_date")
    _field_error(api.get("/points", from_date=day), "from_date")


ODD_ID_PATHS = [
    "/statistic-groups/grp_\uff11", "/statistic-groups/grp_\u0661", "/intervals/int_\u0663",
    "/statistic-groups/grp_" + "9" * 40, "/intervals/int_" + "9" * 40,
    "/statistics/g/stat_" + "9" * 40,
]  # fmt: skip


@pytest.mark.parametrize("path", ODD_ID_PATHS)
def test_odd_ids_in_paths_are_404(api: Api, path: str) -> None:
    assert api.get(path).status_code == 404


@pytest.mark.parametrize("retry_after", ["http-date:abc", "http-date:1e400", "http-date:9" * 3,
                                         "http-date:" + "9" * 20, "a\nb", "x" * 65, 3])  # fmt: skip
def test_a_fault_retry_after_no_header_can_carry_is_422(
    sandbox: SandboxServer, api: Api, retry_after: Any
) -> None:
    _field_error(api.post("/_sandbox/faults", {"retry_after": retry_after}), "retry_after")
    assert api.get("/statistic-groups").status_code == 200  # no rule was stored


@pytest.mark.parametrize("status", [101, 204, 304, 600, True, "503"])
def test_a_fault_status_that_cannot_carry_the_error_body_is_422(api: Api, status: Any) -> None:
    _field_error(api.post("/_sandbox/faults", {"status": status}), "status")
    assert api.get("/statistic-groups").status_code == 200  # no rule was stored
