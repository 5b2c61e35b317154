"""Intervals: periods of time on a group (runs, batches, states, custom spans).

Writes are upserts: an ``id`` or an ``external_id`` that already exists updates that
interval (resurrecting a tombstone), otherwise a new interval is created.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ossit_schemas import ID_PREFIXES, parse_id

from ossit_sandbox.errors import ApiError, conflict, invalid, invalid_items, not_found
from ossit_sandbox.store.db import Store, Tx
from ossit_sandbox.store.groups import find_group, insert_group
from ossit_sandbox.store.listing import ListQuery, list_page, ref_filter
from ossit_sandbox.store.records import INTERVALS, fetch_by_ids, fetch_one

_COLUMNS = ("group_id", "statistic", "external_id", "type", "name", "start", "end", "metadata")
_REQUIRED_ON_CREATE = ("group", "type", "start")


def interval_record(conn: sqlite3.Connection, iid: int) -> dict[str, Any]:
    """One interval record."""
    return fetch_one(conn, INTERVALS, iid)


def _existing(
    conn: sqlite3.Connection, domain_id: int, iid: int | None, external_id: str | None
) -> tuple | None:
    cols = ", ".join(f'"{c}"' for c in _COLUMNS)
    if iid is not None:
        return conn.execute(
            f"SELECT id, deleted_at, {cols} FROM intervals WHERE domain_id = ? AND id = ?",
            (domain_id, iid),
        ).fetchone()
    if external_id is not None:
        return conn.execute(
            f"SELECT id, deleted_at, {cols} FROM intervals WHERE domain_id = ? AND external_id = ?",
            (domain_id, external_id),
        ).fetchone()
    return None


def upsert_interval(
    tx: Tx,
    domain_id: int,
    fields: dict[str, Any],
    *,
    iid: int | None = None,
    create_missing: bool = False,
    live_only: bool = False,
) -> tuple[int, bool]:
    """Create or update one interval from validated ``fields``; returns (id, created).

    ``iid`` must name an existing interval (404 otherwise; a tombstone counts only when
    ``live_only`` is false). Only the fields given change. ``fields["group"]`` comes from a
    body, so it is a group's name only, never its id.
    """
    row = _existing(tx.conn, domain_id, iid, fields.get("external_id"))
    if iid is not None and (row is None or (live_only and row[1] is not None)):
        raise not_found("interval", f"{ID_PREFIXES['intervals']}{iid}")
    if row is None:
        missing = [name for name in _REQUIRED_ON_CREATE if fields.get(name) is None]
        if missing:
            raise invalid(missing[0], "is required to create an interval")
    new = dict(zip(_COLUMNS, row[2:], strict=True)) if row else dict.fromkeys(_COLUMNS)
    if "group" in fields:
        gid = find_group(tx.conn, domain_id, fields["group"])
        if gid is None and create_missing:
            gid = insert_group(tx, domain_id, fields["group"], None)
        if gid is None:
            raise ApiError(404, "not_found", f"statistic group {fields['group']!r} not found",
                           field="group")  # fmt: skip
        new["group_id"] = gid
    new.update({k: v for k, v in fields.items() if k in _COLUMNS})
    owner = _existing(tx.conn, domain_id, None, new["external_id"])
    if owner is not None and (row is None or owner[0] != row[0]):
        raise conflict(f"external_id {new['external_id']!r} is already used by another interval")
    if new["end"] is not None and new["end"] < new["start"]:
        raise invalid("end", "must not be before start")
    if row is not None:
        if row[1] is None and new == dict(zip(_COLUMNS, row[2:], strict=True)):
            return int(row[0]), False
        assignments = ", ".join(f'"{c}" = ?' for c in _COLUMNS)
        tx.conn.execute(
            f"UPDATE intervals SET {assignments}, updated_at = ?, deleted_at = NULL WHERE id = ?",
            (*new.values(), tx.stamp(), row[0]),
        )
        return int(row[0]), False
    stamp = tx.stamp()
    cols = ", ".join(f'"{c}"' for c in _COLUMNS)
    cur = tx.conn.execute(
        f"INSERT INTO intervals (domain_id, {cols}, created_at, updated_at)"
        f" VALUES (?, {', '.join('?' * len(_COLUMNS))}, ?, ?)",
        (domain_id, *new.values(), stamp, stamp),
    )
    return int(cur.lastrowid or 0), True


def _tombstone(tx: Tx, domain_id: int, iid: int | None, external_id: str | None) -> int | None:
    row = _existing(tx.conn, domain_id, iid, external_id)
    if row is None or row[1] is not None:
        return None
    tx.restamp("intervals", [row[0]], delete=True)
    return int(row[0])


def resolve_interval_id(ref: str) -> int:
    """The integer id of ``int_…``; 404 for anything else."""
    iid = parse_id("intervals", ref)
    if iid is None:
        raise not_found("interval", ref)
    return iid


def create_interval(store: Store, domain_id: int, fields: dict[str, Any]) -> tuple[dict, bool]:
    """POST /intervals: create, or update the interval that has this ``external_id``."""
    with store.write(domain_id) as tx:
        iid, created = upsert_interval(tx, domain_id, fields)
    return interval_record(store.conn, iid), created


def update_interval(store: Store, domain_id: int, ref: str, fields: dict[str, Any]) -> dict:
    """PUT /intervals/{id}: change the given fields of a live interval."""
    with store.write(domain_id) as tx:
        iid, _ = upsert_interval(
            tx, domain_id, fields, iid=resolve_interval_id(ref), live_only=True
        )
    return interval_record(store.conn, iid)


def delete_interval(store: Store, domain_id: int, ref: str) -> dict:
    """DELETE /intervals/{id}: tombstone a live interval (404 otherwise)."""
    with store.write(domain_id) as tx:
        iid = _tombstone(tx, domain_id, resolve_interval_id(ref), None)
        if iid is None:
            raise not_found("interval", ref)
    return interval_record(store.conn, iid)


def get_interval(store: Store, domain_id: int, ref: str) -> dict:
    """GET /intervals/{id}: one live interval."""
    iid = resolve_interval_id(ref)
    row = store.conn.execute(
        "SELECT 1 FROM intervals WHERE domain_id = ? AND id = ? AND deleted_at IS NULL",
        (domain_id, iid),
    ).fetchone()
    if row is None:
        raise not_found("interval", ref)
    return interval_record(store.conn, iid)


def write_batch(
    store: Store, domain_id: int, items: list[dict[str, Any]], create_missing: bool
) -> list[dict]:
    """Upsert or delete every item in order, all or nothing; answers the resulting intervals.

    Each item is ``{"fields": {...}, "id": int | None, "delete": bool}``.
    """
    errors: list[dict[str, Any]] = []
    iids: list[int] = []
    with store.write(domain_id) as tx:
        for index, item in enumerate(items):
            try:
                if item["delete"]:
                    iid = _tombstone(tx, domain_id, item["id"], item["fields"].get("external_id"))
                else:
                    iid, _ = upsert_interval(
                        tx, domain_id, item["fields"], iid=item["id"],
                        create_missing=create_missing,
                    )  # fmt: skip
            except ApiError as exc:
                field = exc.extra.get("field", "id")
                errors.append({"index": index, "field": field, "message": exc.message})
                continue
            if iid is not None:
                iids.append(iid)
        if errors:
            raise invalid_items(f"{len(errors)} item(s) are invalid", errors)
        return fetch_by_ids(tx.conn, INTERVALS, iids)


def list_intervals(
    store: Store, domain_id: int, query: ListQuery, group: str | None, kind: str | None
) -> dict:
    """A page of the domain's intervals, optionally of one group and/or one type."""
    where: list[str] = []
    args: list[Any] = []
    if group is not None:
        clause, arg = ref_filter("g", "statistic_groups", group)
        where.append(clause)
        args.append(arg)
    if kind is not None:
        where.append("i.type = ?")
        args.append(kind)
    return list_page(store.conn, INTERVALS, domain_id, query, tuple(where), tuple(args))
