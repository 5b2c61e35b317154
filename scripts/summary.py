"""Readable summary of the DuckDB warehouse that `meltano run tap-ossit target-duckdb` filled.

Used by scripts/quickstart:

    python scripts/summary.py report  WAREHOUSE            # tables, values, chart, intervals
    python scripts/summary.py mark    WAREHOUSE MARK.json  # remember what is loaded so far
    python scripts/summary.py changes WAREHOUSE MARK.json  # rows the next run loaded, per table

A row's `_sdc_batched_at` (target-duckdb's metadata column) tells which run wrote it, so
"what did the incremental run move" is answered from the warehouse itself.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

SCHEMA = "ossit"
TABLES = ("statistic_groups", "statistics", "points", "intervals")
CHART_DAYS = 14
BAR_WIDTH = 40


def connect(path: str) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only, so a summary can never change it."""
    return duckdb.connect(path, read_only=True)


def table_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(table, rows, tombstones) for each Ossit table."""
    counts = []
    for table in TABLES:
        total, deleted = con.execute(
            f"select count(*), count(deleted_at) from {SCHEMA}.{table}"
        ).fetchone()
        counts.append((table, total, deleted))
    return counts


def print_table(headers: tuple[str, ...], rows: list[tuple]) -> None:
    """Plain aligned columns: numbers right, text left."""
    cells = [[_fmt(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], int | float) for row in rows) for i in range(len(headers))]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  " + "  ".join(parts).rstrip()

    print(line(list(headers)))
    for row in cells:
        print(line(row))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def report(path: str) -> None:
    """Print rows per table, latest statistic values, a chart of one series, intervals by type."""
    con = connect(path)
    print(f"\nWarehouse {path} (schema {SCHEMA})")
    print_table(("table", "rows", "deleted"), table_counts(con))

    latest = con.execute(
        f"""select "group", name, value, reference_date, unit
            from {SCHEMA}.statistics where deleted_at is null and value is not null
            order by "group", name limit 8"""
    ).fetchall()
    print("\nLatest values (first 8 statistics)")
    print_table(("group", "statistic", "value", "on", "unit"), latest)

    print_chart(con)

    by_type = con.execute(
        f"""select type, count(*) as intervals, count(*) - count("end") as open,
                   round(avg(epoch("end"::timestamp) - epoch("start"::timestamp)) / 3600, 1)
            from {SCHEMA}.intervals where deleted_at is null group by type order by type"""
    ).fetchall()
    print("\nIntervals by type (not deleted)")
    print_table(("type", "intervals", "open", "avg hours (closed)"), by_type)


def print_chart(con: duckdb.DuckDBPyConnection) -> None:
    """A horizontal bar chart of the last days of the series with the most points."""
    busiest = con.execute(
        f"""select "group", statistic from {SCHEMA}.points where deleted_at is null
            group by 1, 2 order by count(*) desc, 1, 2 limit 1"""
    ).fetchone()
    if busiest is None:
        return
    group, statistic = busiest
    series = con.execute(
        f"""select reference_date, value from {SCHEMA}.points
            where "group" = ? and statistic = ? and deleted_at is null
            order by reference_date desc limit {CHART_DAYS}""",
        [group, statistic],
    ).fetchall()[::-1]
    peak = max((abs(v) for _, v in series), default=0) or 1
    print(f"\n{group} / {statistic}, last {len(series)} days")
    for day, value in series:
        bar = "#" * round(BAR_WIDTH * abs(value) / peak)
        print(f"  {day}  {bar:<{BAR_WIDTH}}  {_fmt(value)}")


def mark(path: str, mark_file: str) -> None:
    """Remember the latest load time per table, so `changes` can tell the next run's rows."""
    con = connect(path)
    marks = {
        table: str(
            con.execute(
                f"select coalesce(max(_sdc_batched_at), '-infinity') from {SCHEMA}.{table}"
            ).fetchone()[0]
        )
        for table in TABLES
    }
    Path(mark_file).write_text(json.dumps(marks))


def changes(path: str, mark_file: str) -> None:
    """Print what the run after `mark` loaded: counts per table and the rows themselves."""
    marks = json.loads(Path(mark_file).read_text())
    con = connect(path)
    print("\nRows the incremental run loaded (everything else was left alone)")
    rows = []
    for table in TABLES:
        loaded, total = con.execute(
            f"""select count(*) filter (where _sdc_batched_at > ?::timestamp), count(*)
                from {SCHEMA}.{table}""",
            [marks[table]],
        ).fetchone()
        rows.append((table, loaded, total))
    print_table(("table", "loaded now", "rows in table"), rows)
    for table, label in (
        ("statistic_groups", "name"),
        ("statistics", "\"group\" || ' / ' || name"),
        ("points", "\"group\" || ' / ' || statistic || ' @ ' || reference_date"),
        ("intervals", "type || ' ' || coalesce(name, id)"),
    ):
        for what, deleted in con.execute(
            f"""select {label}, deleted_at from {SCHEMA}.{table}
                where _sdc_batched_at > ?::timestamp order by updated_at""",
            [marks[table]],
        ).fetchall():
            state = "deleted" if deleted else "changed"
            print(f"  {table:<17} {state:<8} {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("report").add_argument("warehouse")
    for name in ("mark", "changes"):
        cmd = sub.add_parser(name)
        cmd.add_argument("warehouse")
        cmd.add_argument("mark_file")
    args = parser.parse_args()
    if args.command == "report":
        report(args.warehouse)
    elif args.command == "mark":
        mark(args.warehouse, args.mark_file)
    else:
        changes(args.warehouse, args.mark_file)


if __name__ == "__main__":
    main()
