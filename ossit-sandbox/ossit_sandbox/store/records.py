"""How each record type is read: one SELECT per type and the row-to-dict step.

Ids are built in SQL (``'pt_' || id``) and every SELECT ends with the keyset pair
``(updated_at, id)`` that :mod:`ossit_sandbox.store.listing` needs for cursors; the
conversions ignore those two trailing columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

Row = tuple[Any, ...]
ConvertRows = Callable[[sqlite3.Connection, list[Row]], list[dict[str, Any]]]


@dataclass(frozen=True)
class RecordType:
    """How to read one record type: its SELECT (table alias ``alias``) and row conversion."""

    select: str
    alias: str
    convert: ConvertRows


def _zipper(keys: tuple[str, ...]) -> ConvertRows:
    def convert(_: sqlite3.Connection, rows: list[Row]) -> list[dict[str, Any]]:
        return [dict(zip(keys, row, strict=False)) for row in rows]

    return convert


GROUP_KEYS = ("id", "name", "description", "created_at", "updated_at", "deleted_at")
GROUPS = RecordType(
    "SELECT 'grp_' || g.id, g.name, g.description, g.created_at, g.updated_at, g.deleted_at,"
    " g.updated_at, g.id FROM groups g",
    "g",
    _zipper(GROUP_KEYS),
)

STATISTIC_KEYS = (
    "id", "group_id", "group", "name", "unit", "description", "value", "reference_date",
    "created_at", "updated_at", "deleted_at",
)  # fmt: skip
STATISTICS = RecordType(
    "SELECT 'stat_' || s.id, 'grp_' || s.group_id, g.name, s.name, s.unit, s.description,"
    " s.value, s.reference_date, s.created_at, s.updated_at, s.deleted_at, s.updated_at, s.id"
    " FROM statistics s JOIN groups g ON g.id = s.group_id",
    "s",
    _zipper(STATISTIC_KEYS),
)


def _point_rows(conn: sqlite3.Connection, rows: list[Row]) -> list[dict[str, Any]]:
    """Points with their group and statistic names, looked up once per page, not per row.

    Joining per row cost more than the rest of a page; a page holds few statistics.
    """
    sids = list({row[2] for row in rows})
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(sids), 500):
        chunk = sids[start : start + 500]
        for sid, group, name in conn.execute(
            "SELECT s.id, g.name, s.name FROM statistics s JOIN groups g ON g.id = s.group_id"
            f" WHERE s.id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            names[sid] = (group, name)
    return [
        {
            "id": row[0],
            "statistic_id": row[1],
            "group": names[row[2]][0],
            "statistic": names[row[2]][1],
            "reference_date": row[3],
            "value": row[4],
            "created_at": row[5],
            "updated_at": row[6],
            "deleted_at": row[7],
        }
        for row in rows
    ]


POINTS = RecordType(
    "SELECT 'pt_' || p.id, 'stat_' || p.statistic_id, p.statistic_id, p.reference_date,"
    " p.value, p.created_at, p.updated_at, p.deleted_at, p.updated_at, p.id FROM points p",
    "p",
    _point_rows,
)

INTERVAL_KEYS = (
    "id", "external_id", "group_id", "group", "statistic", "type", "name", "start", "end",
    "duration", "metadata", "created_at", "updated_at", "deleted_at",
)  # fmt: skip


def _interval_rows(_: sqlite3.Connection, rows: list[Row]) -> list[dict[str, Any]]:
    """Intervals; metadata is stored as JSON text and embedded as is."""
    records = [dict(zip(INTERVAL_KEYS, row, strict=False)) for row in rows]
    for record in records:
        if record["metadata"] is not None:
            record["metadata"] = orjson.Fragment(record["metadata"])
    return records


INTERVALS = RecordType(
    "SELECT 'int_' || i.id, i.external_id, 'grp_' || i.group_id, g.name, i.statistic, i.type,"
    ' i.name, i.start, i."end", iso_duration(i.start, i."end"), i.metadata, i.created_at,'
    " i.updated_at, i.deleted_at, i.updated_at, i.id FROM intervals i"
    " JOIN groups g ON g.id = i.group_id",
    "i",
    _interval_rows,
)


def find_live(
    conn: sqlite3.Connection, table: str, parent: tuple[str, int], column: str, value: object
) -> int | None:
    """The id of the live row of ``table`` under ``parent`` (column, id) whose ``column`` is
    ``value``, if any: the one lookup behind names in bodies and names or ids in paths."""
    parent_column, parent_id = parent
    row = conn.execute(
        f"SELECT id FROM {table} WHERE {parent_column} = ? AND {column} = ? AND deleted_at IS NULL",
        (parent_id, value),
    ).fetchone()
    return row[0] if row else None


def fetch_by_ids(
    conn: sqlite3.Connection, kind: RecordType, ids: Sequence[int]
) -> list[dict[str, Any]]:
    """Records for ``ids`` in the same order (an id may repeat)."""
    found: dict[int, dict[str, Any]] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(f"{kind.select} WHERE {kind.alias}.id IN ({marks})", chunk).fetchall()
        for row, record in zip(rows, kind.convert(conn, rows), strict=True):
            found[row[-1]] = record
    return [found[i] for i in ids]


def fetch_one(conn: sqlite3.Connection, kind: RecordType, record_id: int) -> dict[str, Any]:
    """One record by its integer id (which the caller knows exists)."""
    return fetch_by_ids(conn, kind, [record_id])[0]
