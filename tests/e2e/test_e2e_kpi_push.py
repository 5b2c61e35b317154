"""A warehouse table into Ossit, the way users push KPIs: tap-postgres -> target-ossit.

meltano.yml's stream map renames `day, kpi_group, metric, amount` to the points shape and the
stream to `daily_kpis`; target-ossit's `stream_kinds` maps that stream to points.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg

GROUPS = {"Web": ("visits", "signups"), "Sales": ("orders", "revenue")}
DAYS = 20


def table_rows(db: dict[str, str]) -> dict[tuple[str, str, str], float]:
    with psycopg.connect(**db) as con:
        return {
            (group, metric, day.isoformat()): float(amount)
            for day, group, metric, amount in con.execute(
                "select day, kpi_group, metric, amount from daily_kpis"
            )
        }


def domain_points(client: Any) -> dict[tuple[str, str, str], float]:
    return {
        (p["group"], p["statistic"], p["reference_date"]): p["value"] for p in client.points.list()
    }


def test_kpis_from_postgres_into_ossit(meltano, postgres_db, sandbox, domain_key, ossit) -> None:
    start = date(2026, 10, 1)
    rows = [
        (start + timedelta(days=d), group, metric, Decimal(100 + d) + Decimal(i) / 4)
        for group, metrics in GROUPS.items()
        for i, metric in enumerate(metrics)
        for d in range(DAYS)
    ]
    with psycopg.connect(**postgres_db) as con:
        con.execute(
            "create table daily_kpis (day date, kpi_group text, metric text, "
            "amount numeric(12, 2), primary key (day, kpi_group, metric))"
        )
        con.cursor().executemany("insert into daily_kpis values (%s, %s, %s, %s)", rows)
    meltano.set(
        TAP_POSTGRES_HOST=postgres_db["host"],
        TAP_POSTGRES_PORT=postgres_db["port"],
        TAP_POSTGRES_USER=postgres_db["user"],
        TAP_POSTGRES_PASSWORD=postgres_db["password"] or "trust-auth",
        TAP_POSTGRES_DATABASE=postgres_db["dbname"],
        TARGET_OSSIT_BASE_URL=sandbox.base_url,
        TARGET_OSSIT_DOMAIN_KEY=domain_key,
    )
    client = ossit(domain_key)

    meltano("run", "tap-postgres", "target-ossit")
    assert len(table_rows(postgres_db)) == len(GROUPS) * 2 * DAYS
    assert domain_points(client) == table_rows(postgres_db)
    metrics = {m for ms in GROUPS.values() for m in ms}
    assert {s["name"] for s in client.statistics.list()} == metrics

    # Corrections and a new day in the warehouse: the next push makes Ossit equal again.
    with psycopg.connect(**postgres_db) as con:
        con.execute("update daily_kpis set amount = amount * 2 where day = %s", [start])
        con.execute(
            "insert into daily_kpis values (%s, 'Web', 'visits', 7.5)",
            [start + timedelta(days=DAYS)],
        )
    meltano("run", "tap-postgres", "target-ossit")
    assert domain_points(client) == table_rows(postgres_db)
