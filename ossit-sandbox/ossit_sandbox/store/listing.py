"""Keyset pagination shared by every list: ``(updated_at, id)`` order, opaque cursors.

The cursor is the pair of the last record returned. The next page starts strictly after
it, so a record changed between pages (which gets a newer ``updated_at``) moves to the
end and is read again rather than skipped. One extra row is read so ``next_cursor`` is
null exactly when nothing more exists.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson
from ossit_schemas import PAGE_SIZE_DEFAULT

from ossit_sandbox.errors import invalid
from ossit_sandbox.ids import ref_column
from ossit_sandbox.store.records import RecordType


@dataclass(frozen=True)
class ListQuery:
    """The parameters every list takes."""

    limit: int = PAGE_SIZE_DEFAULT
    cursor: tuple[str, int] | None = None
    updated_since: str | None = None
    include_deleted: bool = False


def encode_cursor(updated_at: str, record_id: int) -> str:
    """Opaque text for the position after ``(updated_at, id)``."""
    return base64.urlsafe_b64encode(orjson.dumps([updated_at, record_id])).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[str, int]:
    """The position a cursor stands for; a 422 naming ``cursor`` when it is not ours."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        updated_at, record_id = orjson.loads(raw)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise invalid("cursor", "is not a cursor returned by this API") from None
    # bool is an int, and an id past SQLite's 64-bit integers cannot even be compared.
    if (
        not isinstance(updated_at, str)
        or isinstance(record_id, bool)
        or not isinstance(record_id, int)
        or not 0 <= record_id < 2**63
    ):
        raise invalid("cursor", "is not a cursor returned by this API")
    return updated_at, record_id


def ref_filter(alias: str, kind: str, ref: str) -> tuple[str, str | int]:
    """The WHERE clause of a ``group=``/``statistic=`` filter on table ``alias``, and its value.

    An id-shaped ``ref`` matches that id only, anything else the name only (no name has an
    id's form), so a filter never picks up an object by the other reading.
    """
    column, value = ref_column(ref, kind)
    return f"{alias}.{column} = ?", value


def list_page(
    conn: sqlite3.Connection,
    kind: RecordType,
    domain_id: int,
    query: ListQuery,
    where: tuple[str, ...] = (),
    args: tuple[Any, ...] = (),
) -> dict[str, Any]:
    """One page ``{"data": [...], "next_cursor": ...}`` of a record type within a domain.

    The WHERE clause leads with ``domain_id`` and a range on ``(updated_at, id)`` so SQLite
    walks the ``*_sync`` index and stops after ``limit + 1`` rows. The page and any
    lookups its conversion makes read one snapshot.
    """
    alias = kind.alias
    clauses = [f"{alias}.domain_id = ?", *where]
    params: list[Any] = [domain_id, *args]
    if query.cursor is not None:
        clauses.append(f"({alias}.updated_at, {alias}.id) > (?, ?)")
        params.extend(query.cursor)
    if query.updated_since is not None:
        clauses.append(f"{alias}.updated_at >= ?")
        params.append(query.updated_since)
    if not query.include_deleted:
        clauses.append(f"{alias}.deleted_at IS NULL")
    sql = (
        f"{kind.select} WHERE {' AND '.join(clauses)}"
        f" ORDER BY {alias}.updated_at, {alias}.id LIMIT ?"
    )
    params.append(query.limit + 1)
    conn.execute("BEGIN")
    try:
        rows = conn.execute(sql, params).fetchall()
        more = len(rows) > query.limit
        if more:
            del rows[query.limit :]
        data = kind.convert(conn, rows)
    finally:
        conn.execute("COMMIT")
    next_cursor = encode_cursor(rows[-1][-2], rows[-1][-1]) if more else None
    return {"data": data, "next_cursor": next_cursor}
