"""Deletes reach the next run as tombstones (deleted_at set), unless include_deleted is false."""

from __future__ import annotations

from typing import Any

import pytest
from ossit_sandbox.launcher import SandboxServer


@pytest.fixture
def deleted(sandbox: SandboxServer, domain_key: str, tap_config, tap, api) -> Any:
    """A synced domain, then: a group deleted, an interval deleted, an old point deleted."""
    sandbox.generate(domain_key, groups=2, statistics=2, days=10, intervals=6, seed=31)
    first = tap(tap_config)
    doomed, kept = first.records["statistic_groups"]
    live = {
        stream: {
            r["id"]
            for r in first.records[stream]
            if r["group"] == doomed["name"] and r["deleted_at"] is None
        }
        for stream in ("statistics", "points", "intervals")
    }
    interval = next(
        i for i in first.records["intervals"] if i["group"] == kept["name"] and not i["deleted_at"]
    )
    point = min(
        (p for p in first.records["points"] if p["group"] == kept["name"] and not p["deleted_at"]),
        key=lambda p: p["reference_date"],  # not the latest day: its statistic does not change
    )
    api.statistic_groups.delete(doomed["name"])
    api.intervals.delete(interval["id"])
    api.statistics.delete_point(point["group"], point["statistic"], point["reference_date"])
    expected = {
        "statistic_groups": {doomed["id"]},
        "statistics": live["statistics"],
        "points": live["points"] | {point["id"]},
        "intervals": live["intervals"] | {interval["id"]},
    }
    return first.final_state, expected


def test_deletes_are_emitted_as_tombstones(tap_config, tap, deleted) -> None:
    state, expected = deleted

    run = tap(tap_config, state)

    assert run.id_sets() == expected
    assert all(r["deleted_at"] is not None for records in run.records.values() for r in records)


def test_without_include_deleted_no_tombstone_is_emitted(tap_config, tap, deleted) -> None:
    state, _expected = deleted

    run = tap({**tap_config, "include_deleted": False}, state)
    full = tap({**tap_config, "include_deleted": False})

    assert run.id_sets() == {stream: set() for stream in run.id_sets()}
    assert full.records["points"]
    assert not [r for records in full.records.values() for r in records if r["deleted_at"]]


def test_add_sdc_deleted_at_marks_every_record_and_schema(tap_config, tap, deleted) -> None:
    state, expected = deleted
    config = {**tap_config, "add_sdc_deleted_at": True}

    run = tap(config, state)
    full = tap(config)

    assert run.id_sets() == expected
    for output in (run, full):
        schemas = {m["stream"]: m["schema"] for m in output.messages if m["type"] == "SCHEMA"}
        for stream, schema in schemas.items():
            assert schema["properties"]["_sdc_deleted_at"] == {
                "type": ["string", "null"],
                "format": "date-time",
            }, stream
    tombstones = [r for records in run.records.values() for r in records]
    assert tombstones
    assert all(r["_sdc_deleted_at"] == r["deleted_at"] is not None for r in tombstones)
    records = [r for records in full.records.values() for r in records]
    assert {r["_sdc_deleted_at"] is None for r in records} == {True, False}
    assert all(r["_sdc_deleted_at"] == r["deleted_at"] for r in records)


def test_without_add_sdc_deleted_at_records_keep_their_own_fields(tap_config, tap, deleted) -> None:
    state, _expected = deleted

    for config in (tap_config, {**tap_config, "add_sdc_deleted_at": False}):
        run = tap(config, state)
        schemas = [m["schema"] for m in run.messages if m["type"] == "SCHEMA"]
        assert len(schemas) == 4
        assert not [s for s in schemas if "_sdc_deleted_at" in s["properties"]]
        records = [r for records in run.records.values() for r in records]
        assert records
        assert not [r for r in records if "_sdc_deleted_at" in r]
