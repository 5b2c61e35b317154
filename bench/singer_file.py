"""Deterministic point data for the write benchmarks: a Singer file and raw batch items.

The target benchmark loads a file shaped exactly like tap-ossit's `points`
output (SCHEMA, RECORDs, a final STATE) without needing a tap run to make it.
Points come day by day, every statistic of every group each day, as a daily feed would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
from ossit_schemas import record_schema

from bench.profiles import DomainShape

FIRST_DAY = date(2023, 1, 1)
BATCH_FIELDS = ("group", "statistic", "reference_date", "value")


def _timestamp(serial: int) -> str:
    """Strictly increasing timestamps, one microsecond apart (valid below 60M records)."""
    seconds, micros = divmod(serial, 1_000_000)
    return f"2026-01-01T00:00:{seconds:02d}.{micros:06d}Z"


def points(shape: DomainShape) -> Iterator[dict[str, Any]]:
    """`shape.points` point records (ids and timestamps included, as a tap emits them)."""
    serial = 0
    for day in range(shape.days):
        reference_date = (FIRST_DAY + timedelta(days=day)).isoformat()
        for group in range(shape.groups):
            for statistic in range(shape.statistics):
                serial += 1
                yield {
                    "id": f"pt_{serial:010d}",
                    "statistic_id": f"stat_{group:04d}{statistic:05d}",
                    "group": f"group-{group:04d}",
                    "statistic": f"statistic-{statistic:05d}",
                    "reference_date": reference_date,
                    "value": round((serial * 7919 % 100_000) / 100, 2),
                    "created_at": _timestamp(serial),
                    "updated_at": _timestamp(serial),
                    "deleted_at": None,
                }


def write_points_file(path: Path, shape: DomainShape) -> Path:
    """Write the Singer file of `points(shape)`; answers `path`."""
    schema = {
        "type": "SCHEMA",
        "stream": "points",
        "schema": record_schema("points"),
        "key_properties": ["id"],
        "bookmark_properties": ["updated_at"],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(orjson.dumps(schema) + b"\n")
        out.writelines(
            orjson.dumps({"type": "RECORD", "stream": "points", "record": record}) + b"\n"
            for record in points(shape)
        )
        bookmark = {
            "replication_key": "updated_at",
            "replication_key_value": _timestamp(shape.points),
        }
        state = {"bookmarks": {"points": bookmark}}
        out.write(orjson.dumps({"type": "STATE", "value": state}) + b"\n")
    return path


def batch_bodies(shape: DomainShape, batches: int) -> list[bytes]:
    """The first `batches` request bodies of 1000 points each, encoded ahead of timing."""
    bodies = []
    items: list[dict[str, Any]] = []
    for record in points(shape):
        items.append(
            {key: record[key] for key in ("group", "statistic", "reference_date", "value")}
        )
        if len(items) == 1000:
            bodies.append(orjson.dumps({"points": items, "create_missing": True}))
            items = []
            if len(bodies) == batches:
                break
    return bodies


def read_output(path: Path) -> tuple[dict[str, int], dict[str, Any] | None]:
    """RECORD counts per stream in a tap's output, and the value of its last STATE."""
    counts: dict[str, int] = {}
    state = None
    with path.open("rb") as lines:
        for line in lines:
            message = orjson.loads(line)
            if message["type"] == "RECORD":
                counts[message["stream"]] = counts.get(message["stream"], 0) + 1
            elif message["type"] == "STATE":
                state = message["value"]
    return counts, state
