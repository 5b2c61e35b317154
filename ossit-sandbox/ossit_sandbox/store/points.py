"""Series points: the five methods, day deletes, the batch and the lists of points.

A statistic's ``value``/``reference_date`` mirror its latest live point, so every point
write ends with :func:`refresh_latest` for the statistics it touched. Creating a statistic
with a first value is here too: it writes that point (:mod:`.statistics` writes no point,
so it needs nothing from this module).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ossit_schemas import DEFAULT_POINT_METHOD

from ossit_sandbox.errors import invalid, invalid_items, not_found
from ossit_sandbox.store.db import Store, Tx
from ossit_sandbox.store.groups import find_group, insert_group
from ossit_sandbox.store.listing import ListQuery, list_page, ref_filter
from ossit_sandbox.store.records import POINTS, fetch_by_ids, fetch_one
from ossit_sandbox.store.statistics import (
    find_statistic,
    insert_statistic,
    resolve_statistic,
    statistic_record,
)


@dataclass(frozen=True)
class PointWrite:
    """One validated point change: a method applied to one statistic's day, or a delete."""

    group: str
    statistic: str
    reference_date: str
    value: float | None = None
    method: str = DEFAULT_POINT_METHOD
    delete: bool = False


def apply_method(current: float, method: str, value: float | None) -> float:
    """The day's new value; ``current`` is 0 when the day has no live point.

    A sum past the float range (``add`` 1e308 twice) is a 422 naming ``value``: stored, an
    infinity would come back as JSON ``null`` and break every reader of the point.
    """
    new = _combine(current, method, value)
    if not math.isfinite(new):
        raise invalid("value", f"{method} would make the day's value overflow a float")
    return new


def _combine(current: float, method: str, value: float | None) -> float:
    if method == "increment":
        return current + 1
    if method == "decrement":
        return current - 1
    assert value is not None  # validation requires a value for set/add/subtract
    if method == "add":
        return current + value
    if method == "subtract":
        return current - value
    return value


def write_point(
    tx: Tx, domain_id: int, sid: int, day: str, method: str, value: float | None
) -> int:
    """Apply a method to a day; a tombstoned day is resurrected. Unchanged days keep stamps."""
    row = tx.conn.execute(
        "SELECT id, value, deleted_at FROM points WHERE statistic_id = ? AND reference_date = ?",
        (sid, day),
    ).fetchone()
    live = row is not None and row[2] is None
    new = apply_method(row[1] if live else 0.0, method, value)
    if row is None:
        stamp = tx.stamp()
        cur = tx.conn.execute(
            "INSERT INTO points (domain_id, statistic_id, reference_date, value, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (domain_id, sid, day, new, stamp, stamp),
        )
        return int(cur.lastrowid or 0)
    if not (live and row[1] == new):
        tx.conn.execute(
            "UPDATE points SET value = ?, updated_at = ?, deleted_at = NULL WHERE id = ?",
            (new, tx.stamp(), row[0]),
        )
    return int(row[0])


def tombstone_day(tx: Tx, sid: int, day: str) -> int | None:
    """Tombstone a day's live point; None when there is none."""
    row = tx.conn.execute(
        "SELECT id FROM points WHERE statistic_id = ? AND reference_date = ?"
        " AND deleted_at IS NULL",
        (sid, day),
    ).fetchone()
    if row is None:
        return None
    tx.restamp("points", [row[0]], delete=True)
    return int(row[0])


def refresh_latest(tx: Tx, sids: Iterable[int]) -> None:
    """Copy each statistic's latest live point onto it; a change moves its ``updated_at``."""
    for sid in dict.fromkeys(sids):
        latest = tx.conn.execute(
            "SELECT value, reference_date FROM points WHERE statistic_id = ?"
            " AND deleted_at IS NULL ORDER BY reference_date DESC LIMIT 1",
            (sid,),
        ).fetchone() or (None, None)
        current = tx.conn.execute(
            "SELECT value, reference_date FROM statistics WHERE id = ?", (sid,)
        ).fetchone()
        if tuple(current) != tuple(latest):
            tx.conn.execute(
                "UPDATE statistics SET value = ?, reference_date = ?, updated_at = ? WHERE id = ?",
                (*latest, tx.stamp(), sid),
            )


def create_statistic(
    store: Store,
    domain_id: int,
    group: str,
    name: str,
    *,
    unit: str | None,
    description: str | None,
    value: float | None,
    reference_date: str,
) -> dict:
    """A new statistic in an existing group, with a first point when ``value`` is given.

    ``group`` comes from the body, so it is a name only (never an id).
    """
    with store.write(domain_id) as tx:
        gid = find_group(tx.conn, domain_id, group)
        if gid is None:
            raise not_found("statistic group", group)
        sid = insert_statistic(tx, domain_id, gid, name, unit, description)
        if value is not None:
            write_point(tx, domain_id, sid, reference_date, "set", value)
            refresh_latest(tx, [sid])
    return statistic_record(store.conn, sid)


def update_value(store: Store, domain_id: int, change: PointWrite) -> dict:
    """Apply one method to one day of an existing statistic; answers the statistic."""
    with store.write(domain_id) as tx:
        sid = resolve_statistic(tx.conn, domain_id, change.group, change.statistic)
        write_point(tx, domain_id, sid, change.reference_date, change.method, change.value)
        refresh_latest(tx, [sid])
    return statistic_record(store.conn, sid)


def delete_day(store: Store, domain_id: int, group: str, name: str, day: str) -> dict:
    """Tombstone one day's point (404 when that day has no live point); answers the point."""
    with store.write(domain_id) as tx:
        sid = resolve_statistic(tx.conn, domain_id, group, name)
        pid = tombstone_day(tx, sid, day)
        if pid is None:
            raise not_found("point", f"{group}/{name}/{day}")
        refresh_latest(tx, [sid])
    return fetch_one(store.conn, POINTS, pid)


def _resolve_items(
    tx: Tx, domain_id: int, items: list[PointWrite], create_missing: bool
) -> list[int | None]:
    """The statistic id of every item; 422 listing every item whose parent is missing.

    Items name their group and statistic by name only: an item never reaches an object
    through its id. ``create_missing`` creates the parents of writes only: a delete item
    whose group or statistic does not exist has nothing to delete (None), and must not
    bring a deleted parent back (a tombstone replayed after its group was deleted).
    """
    groups: dict[str, int | None] = {}
    stats: dict[tuple[str, str], int | None] = {}
    errors: list[dict[str, Any]] = []
    sids: list[int | None] = []
    for index, item in enumerate(items):
        create = create_missing and not item.delete
        if groups.get(item.group) is None:
            gid = find_group(tx.conn, domain_id, item.group)
            if gid is None and create:
                gid = insert_group(tx, domain_id, item.group, None)
            groups[item.group] = gid
        gid = groups[item.group]
        key = (item.group, item.statistic)
        if gid is not None and stats.get(key) is None:
            sid = find_statistic(tx.conn, gid, item.statistic)
            if sid is None and create:
                sid = insert_statistic(tx, domain_id, gid, item.statistic, None, None)
            stats[key] = sid
        sid = stats.get(key) if gid is not None else None
        if sid is None and not (create_missing and item.delete):
            field = "group" if gid is None else "statistic"
            errors.append({"index": index, "field": field, "message": f"no such {field}"})
            continue
        sids.append(sid)
    if errors:
        raise invalid_items(f"{len(errors)} item(s) refer to missing parents", errors)
    return sids


def write_batch(
    store: Store, domain_id: int, items: list[PointWrite], create_missing: bool
) -> list[dict]:
    """Apply every item in order, all or nothing; answers the resulting points."""
    with store.write(domain_id) as tx:
        resolved = _resolve_items(tx, domain_id, items, create_missing)
        pids: list[int] = []
        sids: list[int] = []
        for item, sid in zip(items, resolved, strict=True):
            if sid is None:
                continue  # a delete whose parent is missing: nothing to delete
            sids.append(sid)
            if item.delete:
                pid = tombstone_day(tx, sid, item.reference_date)
            else:
                pid = write_point(tx, domain_id, sid, item.reference_date, item.method, item.value)
            if pid is not None:
                pids.append(pid)
        refresh_latest(tx, sids)
        return fetch_by_ids(tx.conn, POINTS, pids)


def list_points(
    store: Store,
    domain_id: int,
    query: ListQuery,
    *,
    group: str | None = None,
    statistic: str | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
) -> dict:
    """A page of the domain's points, with the optional filters of ``GET /v1/api/points``."""
    where: list[str] = []
    args: list = []
    if group is not None or statistic is not None:
        # Resolve the names to statistic ids first; the page itself joins nothing.
        inner = ["s.domain_id = ?"]
        args.append(domain_id)
        for ref, alias, kind in ((group, "g", "statistic_groups"), (statistic, "s", "statistics")):
            if ref is not None:
                clause, arg = ref_filter(alias, kind, ref)
                inner.append(clause)
                args.append(arg)
        where.append(
            "p.statistic_id IN (SELECT s.id FROM statistics s JOIN groups g ON g.id = s.group_id"
            f" WHERE {' AND '.join(inner)})"
        )
    if from_date is not None:
        where.append("p.reference_date >= ?")
        args.append(from_date)
    if to_date is not None:
        where.append("p.reference_date <= ?")
        args.append(to_date)
    return list_page(store.conn, POINTS, domain_id, query, tuple(where), tuple(args))


def list_statistic_points(
    store: Store, domain_id: int, group: str, name: str, query: ListQuery
) -> dict:
    """A page of one live statistic's points."""
    sid = resolve_statistic(store.conn, domain_id, group, name)
    return list_page(store.conn, POINTS, domain_id, query, ("p.statistic_id = ?",), (sid,))
