"""``demo``: a small, realistic domain for the quick start (written through the store)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
from ossit_schemas import BATCH_SIZE_MAX

from ossit_sandbox.auth import create_domain
from ossit_sandbox.store import intervals, points
from ossit_sandbox.store.db import Store
from ossit_sandbox.store.points import PointWrite
from ossit_sandbox.timefmt import format_datetime

TIME_ZONE = "America/Toronto"
DAYS = 30
SERIES = {
    "Website Traffic": {"page_views": (1200, 300), "unique_visitors": (420, 90),
                        "signups": (12, 5)},
    "Automations": {"emails_sent": (800, 150), "jobs_run": (96, 4), "job_failures": (2, 2)},
    "Production Line 1": {"units_produced": (5400, 600), "scrap_units": (70, 25),
                          "downtime_minutes": (35, 20)},
}  # fmt: skip
PRODUCTS = ("Widget A", "Widget B", "Gizmo")


def _points(rng: random.Random, days: list[str]) -> list[PointWrite]:
    writes = []
    for group, stats in SERIES.items():
        for name, (mean, spread) in stats.items():
            for day in days:
                value = max(0, round(rng.gauss(mean, spread)))
                writes.append(PointWrite(group, name, day, float(value)))
    return writes


def _line_intervals(rng: random.Random, first: date, zone: ZoneInfo) -> list[dict]:
    """Two shifts a day: one run each, four batches per run, states for up/down time."""
    items: list[dict] = []
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        for shift, hour in enumerate((6, 14)):
            start = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
            end = start + timedelta(hours=8)
            last = offset == DAYS - 1 and shift == 1
            run_id = f"run-{day.isoformat()}-{shift + 1}"
            product = rng.choice(PRODUCTS)
            items.append(
                {
                    "external_id": run_id,
                    "type": "run",
                    "name": product,
                    "start": start,
                    "end": None if last else end,
                    "metadata": {"product": product, "shift": shift + 1},
                }
            )
            for batch in range(4):
                b_start = start + timedelta(hours=2 * batch)
                items.append(
                    {
                        "external_id": f"{run_id}-b{batch + 1}",
                        "type": "batch",
                        "name": f"{product} lot {batch + 1}",
                        "start": b_start,
                        "end": None if last and batch == 3 else b_start + timedelta(hours=2),
                        "metadata": {"run": run_id, "units": rng.randrange(600, 800)},
                    }
                )
            down = start + timedelta(minutes=rng.randrange(30, 400))
            items.append(
                {
                    "external_id": f"{run_id}-down",
                    "type": "state",
                    "name": "downtime",
                    "statistic": "downtime_minutes",
                    "start": down,
                    "end": down + timedelta(minutes=rng.randrange(5, 45)),
                    "metadata": {
                        "category": "downtime",
                        "reason": rng.choice(("maintenance", "changeover", "material shortage")),
                    },
                }
            )
    for item in items:
        item["group"] = "Production Line 1"
        item["start"] = format_datetime(item["start"])
        item["end"] = item["end"] and format_datetime(item["end"])
        item["metadata"] = orjson.dumps(item["metadata"]).decode()
    return items  # fmt: skip


def create_demo(db: str) -> str:
    """Create the demo domain and its data; returns the domain key."""
    store = Store(db)
    try:
        created = create_domain(store, "Demo Co", TIME_ZONE)
        domain = created.domain
        zone = ZoneInfo(TIME_ZONE)
        today = datetime.now(zone).date()
        first = today - timedelta(days=DAYS - 1)
        days = [(first + timedelta(days=i)).isoformat() for i in range(DAYS)]
        rng = random.Random(2026)
        writes = _points(rng, days)
        for start in range(0, len(writes), BATCH_SIZE_MAX):
            points.write_batch(store, domain.id, writes[start : start + BATCH_SIZE_MAX], True)
        items = [
            {"id": None, "delete": False, "fields": fields}
            for fields in _line_intervals(rng, first, zone)
        ]
        intervals.write_batch(store, domain.id, items, True)
        return created.key
    finally:
        store.close()
