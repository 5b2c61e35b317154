"""Helpers of the dlt tests: what a DuckDB warehouse and an Ossit domain hold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import duckdb
from ossit_client import OssitClient

KINDS = ("statistic_groups", "statistics", "points", "intervals")


@dataclass
class Warehouse:
    """A DuckDB file and the pipeline that loads into it."""

    path: Path
    pipeline: dlt.Pipeline

    def run(self, source: Any) -> dict[str, int]:
        """Run the pipeline; the rows it loaded per table (dlt's tables left out)."""
        self.pipeline.run(source)
        counts = self.pipeline.last_trace.last_normalize_info.row_counts
        return {table: rows for table, rows in counts.items() if not table.startswith("_dlt")}

    def rows(self, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
        """Every row of ``ossit.<table>``, ordered by id."""
        with duckdb.connect(str(self.path), read_only=True) as connection:
            query = f'select {columns} from ossit."{table}" order by id'
            return connection.sql(query).fetchall()

    def ids(self, table: str) -> list[str]:
        return [row[0] for row in self.rows(table, "id")]


@contextmanager
def client(base_url: str, key: str) -> Iterator[OssitClient]:
    with OssitClient(key, base_url=base_url) as made:
        yield made


def domain_ids(base_url: str, key: str, kind: str, **options: Any) -> list[str]:
    """The ids of every record of ``kind`` in the domain (tombstones included), sorted."""
    with client(base_url, key) as ossit:
        return sorted(r["id"] for r in getattr(ossit, kind).list(include_deleted=True, **options))


def domain_content(base_url: str, key: str) -> dict[str, set[tuple[Any, ...]]]:
    """What a domain holds, by natural key (ids differ between domains): live records only."""
    with client(base_url, key) as ossit:
        return {
            "statistic_groups": {
                (g["name"], g["description"]) for g in ossit.statistic_groups.list()
            },
            "statistics": {
                (s["group"], s["name"], s["unit"], s["description"])
                for s in ossit.statistics.list()
            },
            "points": {
                (p["group"], p["statistic"], p["reference_date"], p["value"])
                for p in ossit.points.list()
            },
            "intervals": {
                (i["group"], i["type"], i["name"], i["start"], i["end"], str(i["metadata"]))
                for i in ossit.intervals.list()
            },
        }
