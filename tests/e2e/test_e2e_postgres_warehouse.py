"""tap-ossit -> target-postgres (MeltanoLabs): the server warehouse holds the domain exactly."""

from __future__ import annotations

import psycopg

RESOURCES = ("statistic_groups", "statistics", "points", "intervals")


def test_ossit_into_postgres(meltano, postgres_db, sandbox, domain_key, snapshot, ossit) -> None:
    sandbox.generate(domain_key, groups=2, statistics=2, days=30, intervals=8, seed=9)
    meltano.set(
        TAP_OSSIT_BASE_URL=sandbox.base_url,
        TAP_OSSIT_DOMAIN_KEY=domain_key,
        TARGET_POSTGRES_HOST=postgres_db["host"],
        TARGET_POSTGRES_PORT=postgres_db["port"],
        TARGET_POSTGRES_USER=postgres_db["user"],
        TARGET_POSTGRES_PASSWORD=postgres_db["password"] or "trust-auth",
        TARGET_POSTGRES_DATABASE=postgres_db["dbname"],
    )

    def warehouse() -> dict[str, dict[str, object]]:
        with psycopg.connect(**postgres_db) as con:
            return {
                t: dict(con.execute(f"select id, deleted_at from ossit.{t}").fetchall())
                for t in RESOURCES
            }

    meltano("run", "tap-ossit", "target-postgres")
    records = snapshot(sandbox.base_url, domain_key)
    assert {t: set(rows) for t, rows in warehouse().items()} == {
        t: {r["id"] for r in rows} for t, rows in records.items()
    }

    # A delete in Ossit becomes a deleted_at in the warehouse on the next (incremental) run.
    point = next(p for p in records["points"] if p["deleted_at"] is None)
    ossit(domain_key).statistics.delete_point(
        point["group"], point["statistic"], point["reference_date"]
    )
    meltano("run", "tap-ossit", "target-postgres")
    rows = warehouse()
    assert rows["points"][point["id"]] is not None
    assert len(rows["points"]) == len(records["points"])
