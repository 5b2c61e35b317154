"""Deletes applied by the warehouse: tap-ossit's `add_sdc_deleted_at`, a target's `hard_delete`.

With the setting on, every record carries Singer's deletion marker `_sdc_deleted_at` (a copy
of `deleted_at`). A record deleted in the domain between two `meltano run`s reaches the
second, incremental run as a tombstone, and:

- target-duckdb (`hard_delete: true`) deletes the row;
- MeltanoLabs target-postgres (`hard_delete: true`) stores the marker on the row. Removing
  the row is up to the target: 0.8.1 (on singer-sdk 0.54.9, the latest of both) hard-deletes
  only for ACTIVATE_VERSION messages, never for a record whose `_sdc_deleted_at` is set
  (meltano/sdk#3444). The test checks the marker, then xfails on the row still being there
  until a target-postgres release removes it, and passes from then on.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb
import pytest

RESOURCES = ("statistic_groups", "statistics", "points", "intervals")


def _domain(sandbox: Any, domain_key: str, meltano: Any, **target_settings: str) -> None:
    """A small domain, read by tap-ossit with the marker on, into a target with hard_delete."""
    sandbox.generate(domain_key, groups=2, statistics=2, days=15, intervals=6, seed=17)
    meltano.set(
        TAP_OSSIT_BASE_URL=sandbox.base_url,
        TAP_OSSIT_DOMAIN_KEY=domain_key,
        TAP_OSSIT_ADD_SDC_DELETED_AT="true",
        **target_settings,
    )


def _delete_a_point_and_an_interval(records: dict[str, list[dict]], client: Any) -> set[str]:
    """Delete one live point and one live interval in the domain; their ids."""
    point = next(p for p in records["points"] if p["deleted_at"] is None)
    interval = next(i for i in records["intervals"] if i["deleted_at"] is None)
    client.statistics.delete_point(point["group"], point["statistic"], point["reference_date"])
    client.intervals.delete(interval["id"])
    return {point["id"], interval["id"]}


def _live_ids(records: dict[str, list[dict]]) -> dict[str, set[str]]:
    return {t: {r["id"] for r in rows if r["deleted_at"] is None} for t, rows in records.items()}


def test_duckdb_hard_delete_removes_a_record_deleted_between_runs(
    meltano, sandbox, domain_key, snapshot, ossit
) -> None:
    _domain(sandbox, domain_key, meltano, TARGET_DUCKDB_HARD_DELETE="true")

    def warehouse() -> dict[str, dict[str, Any]]:
        with duckdb.connect(str(meltano.warehouse), read_only=True) as con:
            return {
                t: dict(con.execute(f"select id, _sdc_deleted_at from ossit.{t}").fetchall())
                for t in RESOURCES
            }

    meltano("run", "tap-ossit", "target-duckdb")
    before = snapshot(sandbox.base_url, domain_key)
    rows = warehouse()
    assert {t: set(r) for t, r in rows.items()} == _live_ids(before)
    assert all(rows[t] for t in RESOURCES)

    deleted = _delete_a_point_and_an_interval(before, ossit(domain_key))
    meltano("run", "tap-ossit", "target-duckdb")

    after = snapshot(sandbox.base_url, domain_key)
    rows = warehouse()
    assert {t: set(r) for t, r in rows.items()} == _live_ids(after)
    assert not deleted & (set(rows["points"]) | set(rows["intervals"]))
    assert len(rows["points"]) == len(_live_ids(before)["points"]) - 1
    assert {v for table in rows.values() for v in table.values()} == {None}


@pytest.mark.skipif(not os.environ.get("OSSIT_TEST_PG_HOST"), reason="OSSIT_TEST_PG_HOST unset")
def test_postgres_hard_delete_gets_the_marker_of_a_record_deleted_between_runs(
    meltano, postgres_db, sandbox, domain_key, snapshot, ossit
) -> None:
    import psycopg

    _domain(
        sandbox,
        domain_key,
        meltano,
        TARGET_POSTGRES_HOST=postgres_db["host"],
        TARGET_POSTGRES_PORT=postgres_db["port"],
        TARGET_POSTGRES_USER=postgres_db["user"],
        TARGET_POSTGRES_PASSWORD=postgres_db["password"] or "trust-auth",
        TARGET_POSTGRES_DATABASE=postgres_db["dbname"],
        TARGET_POSTGRES_HARD_DELETE="true",
    )

    def warehouse() -> dict[str, dict[str, Any]]:
        with psycopg.connect(**postgres_db) as con:
            return {
                t: dict(con.execute(f"select id, _sdc_deleted_at from ossit.{t}").fetchall())
                for t in RESOURCES
            }

    meltano("run", "tap-ossit", "target-postgres")
    before = snapshot(sandbox.base_url, domain_key)
    rows = warehouse()
    live = _live_ids(before)
    for table, ids in rows.items():
        assert {i for i, marker in ids.items() if marker is None} == live[table], table
    assert all(live[t] for t in RESOURCES)

    deleted = _delete_a_point_and_an_interval(before, ossit(domain_key))
    meltano("run", "tap-ossit", "target-postgres")

    after = snapshot(sandbox.base_url, domain_key)
    rows = warehouse()
    live = _live_ids(after)
    for table, ids in rows.items():
        assert {i for i, marker in ids.items() if marker is None} == live[table], table
    stored = {**rows["points"], **rows["intervals"]}
    still_there = {i: stored[i] for i in deleted if i in stored}
    assert None not in still_there.values()  # marked, where not removed
    if still_there:
        pytest.xfail(
            "target-postgres 0.8.1 hard-deletes only on ACTIVATE_VERSION, not on "
            "_sdc_deleted_at (meltano/sdk#3444): the deleted rows are marked, not removed"
        )
