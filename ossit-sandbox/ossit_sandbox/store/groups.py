"""Statistic groups: create, rename, delete (cascading) and list."""

from __future__ import annotations

import sqlite3
from typing import Any

from ossit_sandbox.errors import conflict, not_found
from ossit_sandbox.ids import ref_column
from ossit_sandbox.store.db import Store, Tx
from ossit_sandbox.store.listing import ListQuery, list_page
from ossit_sandbox.store.records import GROUPS, fetch_one, find_live


def find_group(conn: sqlite3.Connection, domain_id: int, name: str) -> int | None:
    """The live group named ``name``, if any: how bodies and batch items name a group.

    They never fall back to an id, so a body can only reach the group it names.
    """
    return find_live(conn, "groups", ("domain_id", domain_id), "name", name)


def resolve_group(conn: sqlite3.Connection, domain_id: int, ref: str) -> int:
    """The live group a path's ``{group}`` names; 404 when absent.

    A ``ref`` that parses as a group id is that id only, anything else a name only (see
    :mod:`ossit_sandbox.ids`), so a missing name never reaches the group whose id it reads as.
    """
    gid = find_live(conn, "groups", ("domain_id", domain_id), *ref_column(ref, "statistic_groups"))
    if gid is None:
        raise not_found("statistic group", ref)
    return gid


def group_record(conn: sqlite3.Connection, gid: int) -> dict[str, Any]:
    """One group record."""
    return fetch_one(conn, GROUPS, gid)


def _check_name_free(conn: sqlite3.Connection, domain_id: int, name: str) -> None:
    taken = conn.execute(
        "SELECT 1 FROM groups WHERE domain_id = ? AND name = ? AND deleted_at IS NULL",
        (domain_id, name),
    ).fetchone()
    if taken:
        raise conflict(f"a statistic group named {name!r} already exists")


def insert_group(tx: Tx, domain_id: int, name: str, description: str | None) -> int:
    """A new group (409 when the name is taken)."""
    _check_name_free(tx.conn, domain_id, name)
    stamp = tx.stamp()
    cur = tx.conn.execute(
        "INSERT INTO groups (domain_id, name, description, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (domain_id, name, description, stamp, stamp),
    )
    return int(cur.lastrowid or 0)


def create_group(store: Store, domain_id: int, name: str, description: str | None) -> dict:
    """Create a group and answer its record."""
    with store.write(domain_id) as tx:
        gid = insert_group(tx, domain_id, name, description)
    return group_record(store.conn, gid)


def _live_children(conn: sqlite3.Connection, gid: int) -> tuple[list[int], list[int], list[int]]:
    stats = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM statistics WHERE group_id = ? AND deleted_at IS NULL ORDER BY id",
            (gid,),
        )
    ]
    points: list[int] = []
    for sid in stats:
        points.extend(
            r[0]
            for r in conn.execute(
                "SELECT id FROM points WHERE statistic_id = ? AND deleted_at IS NULL",
                (sid,),
            )
        )
    intervals = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM intervals WHERE group_id = ? AND deleted_at IS NULL ORDER BY id",
            (gid,),
        )
    ]
    return stats, points, intervals


def update_group(
    store: Store,
    domain_id: int,
    ref: str,
    name: str | None,
    description: str | None,
    *,
    set_description: bool,
) -> dict:
    """Rename a group and/or change its description.

    A rename changes the ``group`` field of every live statistic, point and interval of the
    group, so each of them gets a new ``updated_at`` too.
    """
    with store.write(domain_id) as tx:
        gid = resolve_group(tx.conn, domain_id, ref)
        old_name, old_description = tx.conn.execute(
            "SELECT name, description FROM groups WHERE id = ?", (gid,)
        ).fetchone()
        new_name = old_name if name is None else name
        new_description = description if set_description else old_description
        if (new_name, new_description) != (old_name, old_description):
            if new_name != old_name:
                _check_name_free(tx.conn, domain_id, new_name)
            tx.conn.execute(
                "UPDATE groups SET name = ?, description = ?, updated_at = ? WHERE id = ?",
                (new_name, new_description, tx.stamp(), gid),
            )
            if new_name != old_name:
                stats, points, intervals = _live_children(tx.conn, gid)
                tx.restamp("statistics", stats, delete=False)
                tx.restamp("points", points, delete=False)
                tx.restamp("intervals", intervals, delete=False)
    return group_record(store.conn, gid)


def delete_group(store: Store, domain_id: int, ref: str) -> dict:
    """Tombstone a group and, each with its own new stamp, its statistics, points, intervals."""
    with store.write(domain_id) as tx:
        gid = resolve_group(tx.conn, domain_id, ref)
        stats, points, intervals = _live_children(tx.conn, gid)
        tx.restamp("points", points, delete=True)
        tx.restamp("statistics", stats, delete=True)
        tx.restamp("intervals", intervals, delete=True)
        tx.restamp("groups", [gid], delete=True)
    return group_record(store.conn, gid)


def get_group(store: Store, domain_id: int, ref: str) -> dict:
    """One live group by name or id."""
    return group_record(store.conn, resolve_group(store.conn, domain_id, ref))


def list_groups(store: Store, domain_id: int, query: ListQuery) -> dict:
    """A page of the domain's groups."""
    return list_page(store.conn, GROUPS, domain_id, query)
