"""How each record type is read: one SELECT per type and the row-to-dict step.

Ids are built in SQL (``'pt_' || id``) and every SELECT ends with the keyset pair
``(updated_at, id)`` that :mod:`ossit_sandbox.store.listing` needs for cursors; ``zip``
with the key tuple drops those two trailing columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import orjson

Row = tuple[Any, ...]
Convert = Callable[[Row], dict[str, Any]]

GROUP_KEYS = ("id", "name", "description", "created_at", "updated_at", "deleted_at")
GROUP_SELECT = (
    "SELECT 'grp_' || g.id, g.name, g.description, g.created_at, g.updated_at, g.deleted_at,"
    " g.updated_at, g.id FROM groups g"
)

STATISTIC_KEYS = (
    "id", "group_id", "group", "name", "unit", "description", "value", "reference_date",
    "created_at", "updated_at", "deleted_at",
)  # fmt: skip
STATISTIC_SELECT = (
    "SELECT 'stat_' || s.id, 'grp_' || s.group_id, g.name, s.name, s.unit, s.description,"
    " s.value, s.reference_date, s.created_at, s.updated_at, s.deleted_at, s.updated_at, s.id"
    " FROM statistics s JOIN groups g ON g.id = s.group_id"
)

POINT_KEYS = (
    "id", "statistic_id", "group", "statistic", "reference_date", "value",
    "created_at", "updated_at", "deleted_at",
)  # fmt: skip
POINT_SELECT = (
    "SELECT 'pt_' || p.id, 'stat_' || p.statistic_id, g.name, s.name, p.reference_date,"
    " p.value, p.created_at, p.updated_at, p.deleted_at, p.updated_at, p.id"
    " FROM points p JOIN statistics s ON s.id = p.statistic_id JOIN groups g ON g.id = s.group_id"
)

INTERVAL_KEYS = (
    "id", "external_id", "group_id", "group", "statistic", "type", "name", "start", "end",
    "duration", "metadata", "created_at", "updated_at", "deleted_at",
)  # fmt: skip
INTERVAL_SELECT = (
    "SELECT 'int_' || i.id, i.external_id, 'grp_' || i.group_id, g.name, i.statistic, i.type,"
    ' i.name, i.start, i."end", iso_duration(i.start, i."end"), i.metadata, i.created_at,'
    " i.updated_at, i.deleted_at, i.updated_at, i.id FROM intervals i"
    " JOIN groups g ON g.id = i.group_id"
)


def group_row(row: Row) -> dict[str, Any]:
    """A statistic group record."""
    return dict(zip(GROUP_KEYS, row, strict=False))


def statistic_row(row: Row) -> dict[str, Any]:
    """A statistic record."""
    return dict(zip(STATISTIC_KEYS, row, strict=False))


def point_row(row: Row) -> dict[str, Any]:
    """A series point record."""
    return dict(zip(POINT_KEYS, row, strict=False))


def interval_row(row: Row) -> dict[str, Any]:
    """An interval record; metadata is stored as JSON text and embedded as is."""
    record = dict(zip(INTERVAL_KEYS, row, strict=False))
    if record["metadata"] is not None:
        record["metadata"] = orjson.Fragment(record["metadata"])
    return record


def parse_id(text: str, prefix: str) -> int | None:
    """The integer behind an id such as ``pt_12``, or None when it is not one of ours."""
    if not text.startswith(prefix):
        return None
    digits = text[len(prefix) :]
    return int(digits) if digits.isdigit() and len(digits) < 19 else None


def fetch_by_ids(
    conn: sqlite3.Connection, select: str, alias: str, convert: Convert, ids: Sequence[int]
) -> list[dict[str, Any]]:
    """Records for ``ids`` in the same order (an id may repeat)."""
    found: dict[int, dict[str, Any]] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"{select} WHERE {alias}.id IN ({marks})", chunk):
            found[row[-1]] = convert(row)
    return [found[i] for i in ids]


def fetch_one(
    conn: sqlite3.Connection, select: str, alias: str, convert: Convert, record_id: int
) -> dict[str, Any]:
    """One record by its integer id (which the caller knows exists)."""
    return fetch_by_ids(conn, select, alias, convert, [record_id])[0]
