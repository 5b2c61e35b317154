"""How each record type is read: one SELECT per type and the row-to-dict step.

The fields of an answer are those of the record's JSON Schema in ``ossit_schemas``, in its
order: each type maps every field to an SQL expression, and a schema field without one
stops the server at import rather than letting it answer records that lack the field. Ids
are built in SQL from the contract's prefixes (``'pt_' || id``), and every SELECT ends with
the keyset pair ``(updated_at, id)`` that :mod:`ossit_sandbox.store.listing` needs for
cursors; the conversions ignore those two trailing columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from ossit_schemas import ID_PREFIXES, record_fields

Row = tuple[Any, ...]
ConvertRows = Callable[[sqlite3.Connection, list[Row]], list[dict[str, Any]]]


@dataclass(frozen=True)
class RecordType:
    """How to read one record type: its SELECT (table alias ``alias``) and row conversion."""

    select: str
    alias: str
    convert: ConvertRows


def _id(kind: str, column: str) -> str:
    """The SQL of an id of record type ``kind`` whose number is ``column``."""
    return f"'{ID_PREFIXES[kind]}' || {column}"


def _select(kind: str, alias: str, source: str, columns: Mapping[str, str]) -> str:
    """The SELECT of ``kind``: its schema's fields in order, then the keyset pair."""
    fields = record_fields(kind)
    if set(columns) != set(fields):
        raise RuntimeError(
            f"the sandbox selects {sorted(columns)} for {kind}, its schema has {sorted(fields)}"
        )
    selected = ", ".join(columns[field] for field in fields)
    return f"SELECT {selected}, {alias}.updated_at, {alias}.id FROM {source}"


def _records(kind: str, rows: list[Row]) -> list[dict[str, Any]]:
    keys = record_fields(kind)
    return [dict(zip(keys, row, strict=False)) for row in rows]


def _group_rows(_: sqlite3.Connection, rows: list[Row]) -> list[dict[str, Any]]:
    return _records("statistic_groups", rows)


GROUPS = RecordType(
    _select(
        "statistic_groups", "g", "groups g",
        {"id": _id("statistic_groups", "g.id"), "name": "g.name",
         "description": "g.description", "created_at": "g.created_at",
         "updated_at": "g.updated_at", "deleted_at": "g.deleted_at"},
    ),
    "g",
    _group_rows,
)  # fmt: skip


def _statistic_rows(_: sqlite3.Connection, rows: list[Row]) -> list[dict[str, Any]]:
    return _records("statistics", rows)


STATISTICS = RecordType(
    _select(
        "statistics", "s", "statistics s JOIN groups g ON g.id = s.group_id",
        {"id": _id("statistics", "s.id"), "group_id": _id("statistic_groups", "s.group_id"),
         "group": "g.name", "name": "s.name", "unit": "s.unit", "description": "s.description",
         "value": "s.value", "reference_date": "s.reference_date",
         "created_at": "s.created_at", "updated_at": "s.updated_at",
         "deleted_at": "s.deleted_at"},
    ),
    "s",
    _statistic_rows,
)  # fmt: skip


def _point(row: Row, group: str, statistic: str) -> dict[str, Any]:
    """One point record, as a literal dict: a quarter of the time of zipping the fields,
    which counts on a read of a million points. Checked against the schema below."""
    return {
        "id": row[0],
        "statistic_id": row[1],
        "group": group,
        "statistic": statistic,
        "reference_date": row[4],
        "value": row[5],
        "created_at": row[6],
        "updated_at": row[7],
        "deleted_at": row[8],
    }


if tuple(_point((None,) * 11, "", "")) != record_fields("points"):
    raise RuntimeError("the sandbox's point record has not the fields of points.schema.json")
_POINT_ID, _STATISTIC_ID = ID_PREFIXES["points"], ID_PREFIXES["statistics"]


def point_record(fields: Row, group: str, statistic: str) -> dict[str, Any]:
    """The record of a point known without reading it: its ``(id, statistic_id,
    reference_date, value, created_at, updated_at, deleted_at)`` as stored, its names."""
    pid, sid, *rest = fields
    return _point(
        (f"{_POINT_ID}{pid}", f"{_STATISTIC_ID}{sid}", None, None, *rest), group, statistic
    )


def _point_rows(conn: sqlite3.Connection, rows: list[Row]) -> list[dict[str, Any]]:
    """Points with their group and statistic names, looked up once per page, not per row.

    Joining per row cost more than the rest of a page; a page holds few statistics. The
    SELECT gives the statistic's number in place of both names.
    """
    sids = list({row[3] for row in rows})
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(sids), 500):
        chunk = sids[start : start + 500]
        for sid, group, name in conn.execute(
            "SELECT s.id, g.name, s.name FROM statistics s JOIN groups g ON g.id = s.group_id"
            f" WHERE s.id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            names[sid] = (group, name)
    return [_point(row, *names[row[3]]) for row in rows]


POINTS = RecordType(
    _select(
        "points", "p", "points p",
        {"id": _id("points", "p.id"), "statistic_id": _id("statistics", "p.statistic_id"),
         "group": "p.statistic_id", "statistic": "p.statistic_id",
         "reference_date": "p.reference_date", "value": "p.value",
         "created_at": "p.created_at", "updated_at": "p.updated_at",
         "deleted_at": "p.deleted_at"},
    ),
    "p",
    _point_rows,
)  # fmt: skip


def _interval_rows(_: sqlite3.Connection, rows: list[Row]) -> list[dict[str, Any]]:
    """Intervals; metadata is stored as JSON text and embedded as is."""
    records = _records("intervals", rows)
    for record in records:
        if record["metadata"] is not None:
            record["metadata"] = orjson.Fragment(record["metadata"])
    return records


INTERVALS = RecordType(
    _select(
        "intervals", "i", "intervals i JOIN groups g ON g.id = i.group_id",
        {"id": _id("intervals", "i.id"), "external_id": "i.external_id",
         "group_id": _id("statistic_groups", "i.group_id"), "group": "g.name",
         "statistic": "i.statistic", "type": "i.type", "name": "i.name", "start": "i.start",
         "end": 'i."end"', "duration": 'iso_duration(i.start, i."end")',
         "metadata": "i.metadata", "created_at": "i.created_at",
         "updated_at": "i.updated_at", "deleted_at": "i.deleted_at"},
    ),
    "i",
    _interval_rows,
)  # fmt: skip


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


def rows_by_keys(
    conn: sqlite3.Connection, select: str, keys: Sequence[tuple[Any, ...]]
) -> list[Row]:
    """The rows of ``select`` for many keys, 400 keys a statement instead of one each.

    ``select`` reads from ``k``, a table of the distinct ``keys`` (columns ``a``, ``b``...,
    as many as a key has), joined to an indexed table on all of them.
    """
    unique = list(dict.fromkeys(keys))
    rows: list[Row] = []
    if not unique:
        return rows
    columns = ", ".join("abcdefgh"[: len(unique[0])])
    row_marks = f"({', '.join('?' * len(unique[0]))})"
    for start in range(0, len(unique), 400):
        chunk = unique[start : start + 400]
        values = ", ".join([row_marks] * len(chunk))
        args = [part for key in chunk for part in key]
        rows.extend(conn.execute(f"WITH k({columns}) AS (VALUES {values}) {select}", args))
    return rows


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
