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
from typing import Any, NamedTuple

from ossit_schemas import DEFAULT_POINT_METHOD

from ossit_sandbox.errors import invalid, invalid_items, not_found
from ossit_sandbox.store.db import Store, Tx
from ossit_sandbox.store.groups import find_group, insert_group
from ossit_sandbox.store.listing import ListQuery, list_page, ref_filter
from ossit_sandbox.store.records import POINTS, fetch_one, point_record, rows_by_keys
from ossit_sandbox.store.statistics import (
    find_statistic,
    insert_statistic,
    resolve_statistic,
    statistic_record,
)


class PointWrite(NamedTuple):
    """One validated point change: a method applied to one statistic's day, or a delete.

    A NamedTuple: a batch builds a thousand, a frozen dataclass takes three times as long.
    """

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


@dataclass(slots=True)
class _Day:
    """One day's point as the write leaves it."""

    id: int
    value: float
    created_at: str
    updated_at: str
    deleted_at: str | None
    stored: bool  # in the table already (else inserted by the flush)


_DAYS = (
    "SELECT p.statistic_id, p.reference_date, p.id, p.value, p.created_at, p.updated_at,"
    " p.deleted_at FROM k JOIN points p ON p.statistic_id = k.a AND p.reference_date = k.b"
)


class DayPoints:
    """The points of the (statistic, day) pairs one write touches: read in one statement,
    changed in memory item by item, written by :meth:`flush` in two.

    Per-day SELECT and INSERT statements, and reading the answer back, cost more than the
    rest of a 1000-point batch. Items still apply in order (the same day twice in one batch
    applies the second to the first's result) and each change takes its stamp when applied,
    as a statement per change did. New points get the ids SQLite gave them one by one: the
    largest id plus one (points are never removed, only tombstoned).
    """

    def __init__(self, tx: Tx, domain_id: int, days: Iterable[tuple[int, str]]) -> None:
        self._tx = tx
        self._domain_id = domain_id
        self._days = {
            (sid, day): _Day(pid, value, created_at, updated_at, deleted_at, True)
            for sid, day, pid, value, created_at, updated_at, deleted_at in rows_by_keys(
                tx.conn, _DAYS, list(days)
            )
        }
        self._changed: dict[tuple[int, str], _Day] = {}
        self._next_id = 0

    def write(self, sid: int, day: str, method: str, value: float | None) -> int:
        """Apply a method to a day; a tombstoned day is resurrected. Unchanged days keep
        their stamps."""
        point = self._days.get((sid, day))
        live = point is not None and point.deleted_at is None
        # + 0.0: SQLite stores -0.0 as 0, so the day holds what reading it back would give.
        new = apply_method(point.value if point and live else 0.0, method, value) + 0.0
        if point is None:
            stamp = self._tx.stamp()
            point = self._days[sid, day] = _Day(self._new_id(), new, stamp, stamp, None, False)
        elif not (live and point.value == new):
            point.value, point.deleted_at, point.updated_at = new, None, self._tx.stamp()
        else:
            return point.id
        self._changed[sid, day] = point
        return point.id

    def tombstone(self, sid: int, day: str) -> int | None:
        """Tombstone a day's live point; None when there is none."""
        point = self._days.get((sid, day))
        if point is None or point.deleted_at is not None:
            return None
        point.deleted_at = point.updated_at = self._tx.stamp()
        self._changed[sid, day] = point
        return point.id

    def record(self, sid: int, day: str, group: str, statistic: str) -> dict[str, Any]:
        """The point record of a day this write touched, as it stands now."""
        p = self._days[sid, day]
        fields = (p.id, sid, day, p.value, p.created_at, p.updated_at, p.deleted_at)
        return point_record(fields, group, statistic)

    def _new_id(self) -> int:
        if not self._next_id:
            row = self._tx.conn.execute("SELECT max(id) FROM points").fetchone()
            self._next_id = (row[0] or 0) + 1
        self._next_id += 1
        return self._next_id - 1

    def flush(self) -> None:
        """Write the changes: each changed point with the stamp of its last change."""
        changed = self._changed.values()
        self._tx.conn.executemany(
            "INSERT INTO points (id, domain_id, statistic_id, reference_date, value, created_at,"
            " updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (p.id, self._domain_id, sid, day, p.value, p.created_at, p.updated_at, p.deleted_at)
                for (sid, day), p in self._changed.items()
                if not p.stored
            ],
        )
        self._tx.conn.executemany(
            "UPDATE points SET value = ?, updated_at = ?, deleted_at = ? WHERE id = ?",
            [(p.value, p.updated_at, p.deleted_at, p.id) for p in changed if p.stored],
        )
        for p in changed:
            p.stored = True
        self._changed.clear()


def write_point(
    tx: Tx, domain_id: int, sid: int, day: str, method: str, value: float | None
) -> int:
    """Apply a method to a day; a tombstoned day is resurrected. Unchanged days keep stamps."""
    days = DayPoints(tx, domain_id, [(sid, day)])
    pid = days.write(sid, day, method, value)
    days.flush()
    return pid


def refresh_latest(tx: Tx, sids: Iterable[int]) -> None:
    """Copy each statistic's latest live point onto it; a change moves its ``updated_at``."""
    order = list(dict.fromkeys(sids))
    found: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(order), 500):
        chunk = order[start : start + 500]
        for sid, *values in tx.conn.execute(
            "SELECT s.id, s.value, s.reference_date, p.value, p.reference_date"
            " FROM statistics s LEFT JOIN points p ON p.id = (SELECT id FROM points"
            " WHERE statistic_id = s.id AND deleted_at IS NULL"
            " ORDER BY reference_date DESC LIMIT 1)"
            f" WHERE s.id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            found[sid] = tuple(values)
    changed = [sid for sid in order if found[sid][:2] != found[sid][2:]]
    tx.conn.executemany(
        "UPDATE statistics SET value = ?, reference_date = ?, updated_at = ? WHERE id = ?",
        [
            (*found[sid][2:], stamp, sid)
            for sid, stamp in zip(changed, tx.stamps(len(changed)), strict=True)
        ],
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
        days = DayPoints(tx, domain_id, [(sid, day)])
        pid = days.tombstone(sid, day)
        days.flush()
        if pid is None:
            raise not_found("point", f"{group}/{name}/{day}")
        refresh_latest(tx, [sid])
    return fetch_one(store.conn, POINTS, pid)


_GROUPS = (
    "SELECT g.name, g.id FROM k JOIN groups g ON g.domain_id = k.a AND g.name = k.b"
    " AND g.deleted_at IS NULL"
)
_STATISTICS = (
    "SELECT s.group_id, s.name, s.id FROM k JOIN statistics s ON s.group_id = k.a"
    " AND s.name = k.b AND s.deleted_at IS NULL"
)


def _resolve_items(
    tx: Tx, domain_id: int, items: list[PointWrite], create_missing: bool
) -> list[int | None]:
    """The statistic id of every item; 422 listing every item whose parent is missing.

    Items name their group and statistic by name only: an item never reaches an object
    through its id. ``create_missing`` creates the parents of writes only: a delete item
    whose group or statistic does not exist has nothing to delete (None), and must not
    bring a deleted parent back (a tombstone replayed after its group was deleted).
    The parents that exist are read first, a statement per 400 names, not one per item.
    """
    existing: dict[str, int] = dict(
        rows_by_keys(tx.conn, _GROUPS, [(domain_id, i.group) for i in items])
    )
    named = [(existing[i.group], i.statistic) for i in items if i.group in existing]
    existing_stats = {
        (gid, name): sid for gid, name, sid in rows_by_keys(tx.conn, _STATISTICS, named)
    }
    read = set(existing.values())  # groups whose statistics were all read above

    groups: dict[str, int | None] = {}
    stats: dict[tuple[str, str], int | None] = {}
    errors: list[dict[str, Any]] = []
    sids: list[int | None] = []
    for index, item in enumerate(items):
        create = create_missing and not item.delete
        if groups.get(item.group) is None:
            gid = existing.get(item.group)
            if gid is None and create:
                gid = insert_group(tx, domain_id, item.group, None)
            groups[item.group] = gid
        gid = groups[item.group]
        key = (item.group, item.statistic)
        if gid is not None and stats.get(key) is None:
            if gid in read:
                sid = existing_stats.get((gid, item.statistic))
            else:
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
        # A delete whose parent is missing (None) has nothing to delete.
        work = [(item, sid) for item, sid in zip(items, resolved, strict=True) if sid is not None]
        days = DayPoints(tx, domain_id, [(sid, item.reference_date) for item, sid in work])
        answered: list[tuple[int, str, str, str]] = []
        for item, sid in work:
            day = item.reference_date
            if item.delete:
                pid = days.tombstone(sid, day)
            else:
                pid = days.write(sid, day, item.method, item.value)
            if pid is not None:
                answered.append((sid, day, item.group, item.statistic))
        days.flush()
        refresh_latest(tx, [sid for _, sid in work])
        # Each item's day as the whole batch left it, as reading the points back would give.
        return [days.record(*day) for day in answered]


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
