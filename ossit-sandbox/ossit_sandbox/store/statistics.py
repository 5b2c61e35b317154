"""Statistics: insert, change metadata, purge, read and list (their points are in points.py)."""

from __future__ import annotations

import sqlite3
from typing import Any

from ossit_sandbox.errors import conflict, not_found
from ossit_sandbox.ids import ref_column
from ossit_sandbox.store.db import Store, Tx
from ossit_sandbox.store.groups import resolve_group
from ossit_sandbox.store.listing import ListQuery, list_page, ref_filter
from ossit_sandbox.store.records import STATISTICS, fetch_one, find_live


def find_statistic(conn: sqlite3.Connection, gid: int, name: str) -> int | None:
    """The live statistic of group ``gid`` named ``name`` (bodies and batch items: no id)."""
    return find_live(conn, "statistics", ("group_id", gid), "name", name)


def resolve_statistic(conn: sqlite3.Connection, domain_id: int, group: str, ref: str) -> int:
    """The live statistic a path's ``{group}/{statistic}`` names; 404 when either is absent.

    Each segment is an id when it parses as one, else a name (see :func:`resolve_group`);
    a statistic id must belong to that group.
    """
    gid = resolve_group(conn, domain_id, group)
    sid = find_live(conn, "statistics", ("group_id", gid), *ref_column(ref, "statistics"))
    if sid is None:
        raise not_found("statistic", f"{group}/{ref}")
    return sid


def statistic_record(conn: sqlite3.Connection, sid: int) -> dict[str, Any]:
    """One statistic record."""
    return fetch_one(conn, STATISTICS, sid)


def _check_name_free(conn: sqlite3.Connection, gid: int, name: str) -> None:
    taken = conn.execute(
        "SELECT 1 FROM statistics WHERE group_id = ? AND name = ? AND deleted_at IS NULL",
        (gid, name),
    ).fetchone()
    if taken:
        raise conflict(f"the group already has a statistic named {name!r}")


def insert_statistic(
    tx: Tx, domain_id: int, gid: int, name: str, unit: str | None, description: str | None
) -> int:
    """A new statistic without points (409 when the name is taken in the group)."""
    _check_name_free(tx.conn, gid, name)
    stamp = tx.stamp()
    cur = tx.conn.execute(
        "INSERT INTO statistics (domain_id, group_id, name, unit, description, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (domain_id, gid, name, unit, description, stamp, stamp),
    )
    return int(cur.lastrowid or 0)


def update_metadata(
    store: Store, domain_id: int, group: str, name: str, changes: dict[str, str | None]
) -> dict:
    """Change ``name``, ``unit`` and/or ``description`` (only the keys given).

    A rename changes the ``statistic`` field of the statistic's live points, so they are
    stamped again too.
    """
    with store.write(domain_id) as tx:
        sid = resolve_statistic(tx.conn, domain_id, group, name)
        gid, *old = tx.conn.execute(
            "SELECT group_id, name, unit, description FROM statistics WHERE id = ?", (sid,)
        ).fetchone()
        current = dict(zip(("name", "unit", "description"), old, strict=True))
        new = {**current, **changes}
        if new != current:
            renamed = new["name"] != current["name"]
            if renamed:
                _check_name_free(tx.conn, gid, str(new["name"]))
            tx.conn.execute(
                "UPDATE statistics SET name = ?, unit = ?, description = ?, updated_at = ?"
                " WHERE id = ?",
                (new["name"], new["unit"], new["description"], tx.stamp(), sid),
            )
            if renamed:
                points = [
                    r[0]
                    for r in tx.conn.execute(
                        "SELECT id FROM points WHERE statistic_id = ? AND deleted_at IS NULL",
                        (sid,),
                    )
                ]
                tx.restamp("points", points, delete=False)
    return statistic_record(store.conn, sid)


def purge_statistic(store: Store, domain_id: int, group: str, name: str) -> dict:
    """Tombstone a statistic and every live point of it, each with its own new stamp."""
    with store.write(domain_id) as tx:
        sid = resolve_statistic(tx.conn, domain_id, group, name)
        points = [
            r[0]
            for r in tx.conn.execute(
                "SELECT id FROM points WHERE statistic_id = ? AND deleted_at IS NULL", (sid,)
            )
        ]
        tx.restamp("points", points, delete=True)
        tx.restamp("statistics", [sid], delete=True)
    return statistic_record(store.conn, sid)


def get_statistic(store: Store, domain_id: int, group: str, name: str) -> dict:
    """One live statistic."""
    return statistic_record(store.conn, resolve_statistic(store.conn, domain_id, group, name))


def list_statistics(store: Store, domain_id: int, query: ListQuery, group: str | None) -> dict:
    """A page of the domain's statistics, optionally of one group (its id, or else its name)."""
    where: tuple[str, ...] = ()
    args: tuple = ()
    if group is not None:
        clause, arg = ref_filter("g", "statistic_groups", group)
        where, args = (clause,), (arg,)
    return list_page(store.conn, STATISTICS, domain_id, query, where, args)
