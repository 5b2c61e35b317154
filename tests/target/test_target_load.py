"""target-ossit through its CLI: batching, idempotency, deletes, mapped streams, states."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ossit_sandbox.launcher import SandboxServer
from target_records import SOURCE_ORIGIN, copied_external_id

STAMP = "2026-01-01T00:00:00.000000Z"

POINTS_BATCH = "POST /v1/api/points/batch"


def _group(name: str, description: str | None, *, deleted: bool = False) -> dict[str, Any]:
    return {
        "id": f"grp_{name}",
        "name": name,
        "description": description,
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": STAMP if deleted else None,
    }


def _statistic(group: str, name: str, unit: str | None, *, deleted: bool = False) -> dict:
    return {
        "id": f"stat_{group}_{name}",
        "group_id": f"grp_{group}",
        "group": group,
        "name": name,
        "unit": unit,
        "description": f"{name} of {group}",
        "value": None,
        "reference_date": None,
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": STAMP if deleted else None,
    }


def _interval(number: int, group: str, *, end: str | None, deleted: bool = False) -> dict:
    return {
        "id": f"int_{number}",
        "external_id": "lot-7" if number == 1 else None,
        "group_id": f"grp_{group}",
        "group": group,
        "statistic": "s1" if number % 2 else None,
        "type": "batch" if number % 2 else "run",
        "name": f"run {number}",
        "start": "2025-03-01T08:00:00.000000Z",
        "end": end,
        "duration": None,
        "metadata": {"line": number, "tags": ["a", "b"]} if number < 3 else None,
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": STAMP if deleted else None,
        "_ossit_origin": SOURCE_ORIGIN,
    }


def _domain_input(singer: Any, point: Callable[..., dict], *, tombstones: bool = False) -> None:
    """Two groups with statistics, 60 days of points each and three intervals.

    With ``tombstones``: g2 deleted (with its statistic, points and interval, as the API
    cascades), statistic g1/s2 deleted with its points, one day of g1/s1 and one interval
    of g1 deleted.
    """
    singer.schema("statistic_groups")
    singer.record("statistic_groups", _group("g1", "first"))
    singer.record("statistic_groups", _group("g2", None, deleted=tombstones))
    singer.schema("statistics")
    for group, name in (("g1", "s1"), ("g1", "s2"), ("g2", "s1")):
        gone = tombstones and (group == "g2" or name == "s2")
        singer.record("statistics", _statistic(group, name, "kg", deleted=gone))
    singer.state({"bookmarks": {"statistics": 1}})
    singer.schema("points")
    for group, name in (("g1", "s1"), ("g1", "s2"), ("g2", "s1")):
        for day in range(60):
            gone = tombstones and (group == "g2" or name == "s2" or day == 10)
            singer.record("points", point(group, name, day, day * 1.25, deleted=gone))
    singer.state({"bookmarks": {"points": 2}})
    singer.schema("intervals")
    singer.record("intervals", _interval(1, "g1", end="2025-03-01T10:30:00.000000Z"))
    singer.record("intervals", _interval(2, "g1", end=None, deleted=tombstones))
    singer.record("intervals", _interval(3, "g2", end=None, deleted=tombstones))
    singer.state({"bookmarks": {"intervals": 3}})


def test_points_are_sent_a_batch_per_thousand(
    singer: Any,
    point: Any,
    target_cli: Any,
    destination: Any,
    sandbox: SandboxServer,
    domain_key: str,
) -> None:
    singer.schema("points")
    expected = {}
    for n in range(2500):
        record = point("g", f"s{n % 3}", n // 3, n / 4)
        singer.record("points", record)
        expected[("g", record["statistic"], record["reference_date"])] = n / 4
    singer.state({"bookmarks": {"points": "done"}})

    run = target_cli.run(singer.write())

    assert run.returncode == 0, run.stderr[-3000:]
    assert sandbox.stats(domain_key)["by_endpoint"] == {POINTS_BATCH: 3}
    assert run.states == [{"bookmarks": {"points": "done"}}]
    assert destination.points() == expected


def test_a_domain_loads_field_by_field_and_a_second_load_changes_nothing(
    singer: Any,
    point: Any,
    target_cli: Any,
    destination: Any,
    sandbox: SandboxServer,
    domain_key: str,
) -> None:
    _domain_input(singer, point)
    source = singer.write()

    first = target_cli.run(source)
    assert first.returncode == 0, first.stderr[-3000:]
    after_first = destination.snapshot()
    sandbox.reset_stats(domain_key)
    second = target_cli.run(source)
    assert second.returncode == 0, second.stderr[-3000:]
    writes = sandbox.stats(domain_key)["by_endpoint"]

    assert destination.snapshot() == after_first  # updated_at included: nothing was rewritten
    assert {endpoint for endpoint in writes if not endpoint.startswith("GET")} == {
        POINTS_BATCH,
        "POST /v1/api/intervals/batch",
    }
    assert first.states[-1] == second.states[-1] == {"bookmarks": {"intervals": 3}}
    groups = {g["name"]: g["description"] for g in after_first["statistic_groups"]}
    assert groups == {"g1": "first", "g2": None}
    units = {(s["group"], s["name"]): (s["unit"], s["value"]) for s in after_first["statistics"]}
    assert units == {key: ("kg", 59 * 1.25) for key in (("g1", "s1"), ("g1", "s2"), ("g2", "s1"))}
    assert len(after_first["points"]) == 180
    intervals = {i["external_id"]: i for i in after_first["intervals"]}
    copied = {n: copied_external_id(f"int_{n}") for n in (2, 3)}  # named by origin and id
    assert set(intervals) == {"lot-7", *copied.values()}
    assert intervals["lot-7"]["duration"] == "PT2H30M0S"
    assert intervals["lot-7"]["metadata"] == {"line": 1, "tags": ["a", "b"]}
    assert intervals[copied[2]]["end"] is None
    assert intervals[copied[3]]["statistic"] == "s1"


def test_tombstones_delete_unless_process_deletes_is_off(
    singer: Any, make_singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    _domain_input(singer, point)
    assert target_cli.run(singer.write()).returncode == 0
    loaded = destination.contents()
    deletes = make_singer("deletes")
    _domain_input(deletes, point, tombstones=True)
    deletes.write()

    kept = target_cli.run(deletes.path, process_deletes=False)
    assert kept.returncode == 0, kept.stderr[-3000:]
    assert destination.contents() == loaded

    applied = target_cli.run(deletes.path)
    assert applied.returncode == 0, applied.stderr[-3000:]
    assert [g["name"] for g in destination.records("statistic_groups")] == ["g1"]
    assert [s["name"] for s in destination.records("statistics")] == ["s1"]
    points = destination.points()
    assert len(points) == 59
    assert ("g1", "s1", "2025-01-11") not in points
    assert [i["external_id"] for i in destination.records("intervals")] == ["lot-7"]


def test_a_csv_stream_mapped_to_points_loads(
    singer: Any, target_cli: Any, destination: Any
) -> None:
    """A CSV tap's stream: every field a string, renamed by a stream map, kind from config."""
    text = {"type": "string"}
    columns = ("team", "metric", "day", "amount")
    schema = {"type": "object", "properties": dict.fromkeys(columns, text)}
    singer.schema("daily_kpis", schema, keys=["team", "metric", "day"])
    rows = [("sales", "orders", f"2025-06-0{d}", f"{d * 10}.5") for d in range(1, 8)]
    for row in rows:
        singer.record("daily_kpis", dict(zip(columns, row, strict=True)))
    renames = {"group": "team", "statistic": "metric", "reference_date": "day", "value": "amount"}
    keys = {"__key_properties__": ["group", "statistic", "reference_date"]}

    run = target_cli.run(
        singer.write(),
        stream_kinds={"daily_kpis": "points"},
        stream_maps={"daily_kpis": {**renames, **dict.fromkeys(columns), **keys}},
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert destination.points() == {
        ("sales", "orders", day): float(amount) for _, _, day, amount in rows
    }


def test_an_unknown_stream_names_the_setting_that_maps_it(singer: Any, target_cli: Any) -> None:
    singer.schema("daily_kpis", {"type": "object", "properties": {}}, keys=[])

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    assert "unknown stream 'daily_kpis'" in run.stderr
    assert "stream_kinds" in run.stderr
    assert "input line 1" in run.stderr


def test_parents_that_arrive_after_their_children_update_what_create_missing_made(
    singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    """The group and statistic cache is read at the first group; the points then create
    g2 and its statistic, so the later records of those find them taken (409) and update."""
    singer.schema("statistic_groups")
    singer.record("statistic_groups", _group("g1", "first"))
    singer.schema("statistics")
    singer.record("statistics", _statistic("g1", "s1", "kg"))
    singer.schema("points")
    singer.record("points", point("g2", "s1", 0, 5.0))
    singer.record("statistic_groups", _group("g2", "second"))
    singer.record("statistics", _statistic("g2", "s1", "m"))

    run = target_cli.run(singer.write())

    assert run.returncode == 0, run.stderr[-3000:]
    groups = {g["name"]: g["description"] for g in destination.records("statistic_groups")}
    assert groups == {"g1": "first", "g2": "second"}
    units = {(s["group"], s["name"]): s["unit"] for s in destination.records("statistics")}
    assert units == {("g1", "s1"): "kg", ("g2", "s1"): "m"}
    assert destination.points() == {("g2", "s1", "2025-01-01"): 5.0}
