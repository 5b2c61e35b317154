"""Meltano state: bookmarks after a run, and a killed run that resumes without losing a record."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import duckdb

STATE_ID = "dev:tap-ossit-to-target-duckdb"
RESOURCES = ("statistic_groups", "statistics", "points", "intervals")
FAST = 1_000_000  # requests per hour: the throttle must not be what makes the run slow


def bookmarks(state: dict[str, Any]) -> dict[str, str]:
    """{stream: replication_key_value} from a Singer state (Meltano wraps it in singer_state)."""
    singer = state.get("singer_state", state)
    return {
        stream: value["replication_key_value"]
        for stream, value in singer.get("bookmarks", {}).items()
        if "replication_key_value" in value
    }


def saved_bookmarks(system_db: Any) -> dict[str, str]:
    """What Meltano has saved so far, read straight from its system database (no CLI start-up)."""
    try:
        with sqlite3.connect(f"file:{system_db}?mode=ro", uri=True) as con:
            rows = con.execute(
                "select partial_state, completed_state from state where state_id = ?", [STATE_ID]
            ).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return {}
    found: dict[str, str] = {}
    for partial, completed in rows:
        for payload in (completed, partial):
            if payload:
                found.update(bookmarks(json.loads(payload)))
    return found


def warehouse(path: Any) -> dict[str, dict[str, Any]]:
    """{table: {id: _sdc_batched_at}}; a table the run has not reached yet is empty."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'ossit'"
            ).fetchall()
        }
        return {
            t: dict(con.execute(f"select id, _sdc_batched_at from ossit.{t}").fetchall())
            if t in tables
            else {}
            for t in RESOURCES
        }


def test_state_get_shows_bookmarks(meltano, sandbox, domain_key, snapshot) -> None:
    sandbox.generate(domain_key, groups=1, statistics=2, days=10, intervals=4, seed=2)
    meltano.set(TAP_OSSIT_BASE_URL=sandbox.base_url, TAP_OSSIT_DOMAIN_KEY=domain_key)

    meltano("run", "tap-ossit", "target-duckdb")

    records = snapshot(sandbox.base_url, domain_key)
    expected = {t: max(r["updated_at"] for r in rows) for t, rows in records.items()}
    assert bookmarks(meltano.state(STATE_ID)) == expected


def test_killed_run_resumes(meltano, sandbox_factory, snapshot) -> None:
    # A slow server and small pages make the points stream take seconds, so it can be killed.
    server = sandbox_factory(latency_ms=60, rate_limit=FAST)
    key = server.create_domain("e2e-resume")
    server.generate(key, groups=2, statistics=3, days=100, intervals=20, seed=4)
    meltano.set(
        TAP_OSSIT_BASE_URL=server.base_url,
        TAP_OSSIT_DOMAIN_KEY=key,
        TAP_OSSIT_PAGE_SIZE=10,
        TAP_OSSIT_MAX_REQUESTS_PER_HOUR=FAST,
        TARGET_DUCKDB_BATCH_SIZE_ROWS=25,
    )
    system_db = meltano.system_db

    run = meltano.start("run", "tap-ossit", "target-duckdb")
    deadline = time.monotonic() + 120
    while "statistics" not in saved_bookmarks(system_db):
        assert run.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no bookmark saved within 120 s"
        time.sleep(0.1)
    meltano.kill(run)
    at_kill = saved_bookmarks(system_db)
    loaded_at_kill = warehouse(meltano.warehouse)

    # The killed job still looks "running" to Meltano for 5 minutes; --force resumes now.
    meltano("run", "--force", "tap-ossit", "target-duckdb")

    records = snapshot(server.base_url, key, budget=FAST)
    final = warehouse(meltano.warehouse)
    assert {t: set(final[t]) for t in RESOURCES} == {
        t: {r["id"] for r in rows} for t, rows in records.items()
    }
    assert len(loaded_at_kill["points"]) < len(records["points"]), "killed too late"
    # The resumed run started from the saved bookmarks: what they covered was not read again.
    for stream, bookmark in at_kill.items():
        covered = {r["id"] for r in records[stream] if r["updated_at"] <= bookmark}
        assert {i for i in covered if final[stream][i] != loaded_at_kill[stream].get(i)} == set()
    assert bookmarks(meltano.state(STATE_ID)) == {
        t: max(r["updated_at"] for r in rows) for t, rows in records.items()
    }
