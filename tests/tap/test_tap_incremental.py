"""Incremental runs: the bookmark goes into the request, and only what changed comes out."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from ossit_sandbox.launcher import SandboxServer

NOTHING: dict[str, set[str]] = {
    "statistic_groups": set(),
    "statistics": set(),
    "points": set(),
    "intervals": set(),
}


@pytest.fixture
def synced(sandbox: SandboxServer, domain_key: str, tap_config, tap) -> Any:
    """A generated domain and the output of a first full sync of it."""
    sandbox.generate(domain_key, groups=3, statistics=3, days=20, intervals=6, seed=11)
    return tap({**tap_config, "page_size": 50})


def test_a_run_without_changes_sends_one_request_per_stream_and_no_record(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli, synced
) -> None:
    sandbox.reset_stats(domain_key)

    again = tap_cli.run({**tap_config, "page_size": 50}, synced.final_state)

    assert again.id_sets() == NOTHING
    assert sandbox.stats(domain_key)["by_endpoint"] == {
        "GET /v1/api/statistic-groups": 1,
        "GET /v1/api/statistics": 1,
        "GET /v1/api/points": 1,
        "GET /v1/api/intervals": 1,
    }
    assert again.final_state == synced.final_state


def test_each_change_appears_in_the_next_run_and_only_it(tap_config, tap, api, synced) -> None:
    state = synced.final_state

    def next_run(expected: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
        nonlocal state
        run = tap(tap_config, state)
        assert run.id_sets() == {**NOTHING, **expected}
        state = run.final_state
        return {r["id"]: r for records in run.records.values() for r in records}

    # Three groups: one gets the point changes, one is renamed, one loses a statistic.
    changed_group, renamed_group, pruned_group = synced.records["statistic_groups"]

    # A value set again for the oldest day of a statistic: only that point changes.
    old = min(
        (p for p in synced.records["points"] if p["group"] == changed_group["name"]),
        key=lambda p: p["reference_date"],
    )
    api.statistics.set_value(
        old["group"], old["statistic"], old["value"] + 1000, reference_date=old["reference_date"]
    )
    changed = next_run({"points": {old["id"]}})
    assert changed[old["id"]]["value"] == old["value"] + 1000

    # A value for a date last year: one new point; the statistic's latest day is unchanged.
    day = datetime.date.fromisoformat(old["reference_date"]) - datetime.timedelta(days=365)
    api.statistics.set_value(old["group"], old["statistic"], 7, reference_date=day.isoformat())
    (new_point,) = api.points.list(
        group=old["group"], statistic=old["statistic"], from_date=str(day), to_date=str(day)
    )
    changed = next_run({"points": {new_point["id"]}})
    assert changed[new_point["id"]]["value"] == 7

    # An open interval closed.
    interval = next(
        i for i in synced.records["intervals"] if i["end"] is None and i["deleted_at"] is None
    )
    end = datetime.datetime.fromisoformat(interval["start"]) + datetime.timedelta(hours=3)
    api.intervals.update(interval["id"], end=end.strftime("%Y-%m-%dT%H:%M:%SZ"))
    changed = next_run({"intervals": {interval["id"]}})
    assert changed[interval["id"]]["duration"] == "PT3H0M0S"

    # A group renamed: the group, and every live record that carries its name.
    children = {
        stream: {
            r["id"]
            for r in synced.records[stream]
            if r["group"] == renamed_group["name"] and r["deleted_at"] is None
        }
        for stream in ("statistics", "points", "intervals")
    }
    new_name = renamed_group["name"] + " (renamed)"
    api.statistic_groups.update(renamed_group["name"], name=new_name)
    changed = next_run({"statistic_groups": {renamed_group["id"]}, **children})
    assert changed[renamed_group["id"]]["name"] == new_name
    assert {r["group"] for r in changed.values() if "group" in r} == {new_name}

    # A statistic deleted: it and its live points come back as tombstones.
    statistic = next(
        s
        for s in synced.records["statistics"]
        if s["group"] == pruned_group["name"] and s["deleted_at"] is None
    )
    points = {
        p["id"]
        for p in synced.records["points"]
        if p["statistic_id"] == statistic["id"] and p["deleted_at"] is None
    }
    api.statistics.purge(statistic["group"], statistic["name"])
    changed = next_run({"statistics": {statistic["id"]}, "points": points})
    assert all(record["deleted_at"] is not None for record in changed.values())

    # And then nothing.
    next_run({})


def test_start_date_reads_changes_from_that_instant_on(tap_config, tap, synced) -> None:
    points = synced.records["points"]
    start = points[len(points) // 2]["updated_at"]

    run = tap({**tap_config, "start_date": start})

    expected = {
        stream: {r["id"] for r in records if r["updated_at"] >= start}
        for stream, records in synced.records.items()
    }
    assert run.id_sets() == expected
    assert run.ids("points")  # the record exactly at start_date is included
