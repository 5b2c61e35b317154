"""Domains: one customer each, identified by a secret key, owning everything else.

Rows hold the key's hash only; issuing keys and hashing them is :mod:`ossit_sandbox.auth`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ossit_sandbox.store.db import Store
from ossit_sandbox.timefmt import format_us, now_us


@dataclass(frozen=True)
class Domain:
    """A live domain, as the API layer needs it for every request."""

    id: int
    key_hash: str
    name: str
    time_zone: str
    created_at: str

    def record(self, key: str) -> dict[str, Any]:
        """The domain record of the contract; ``key`` is the clear key, shown only to its
        holder (who presented it) or at creation."""
        return {
            "key": key,
            "name": self.name,
            "time_zone": self.time_zone,
            "created_at": self.created_at,
        }


_COLUMNS = "id, key, name, time_zone, created_at"


def insert_domain(store: Store, key_hash: str, name: str, time_zone: str) -> Domain:
    """A new domain whose key hashes to ``key_hash``."""
    created_at = format_us(now_us())
    with store.write(None) as tx:
        cur = tx.conn.execute(
            "INSERT INTO domains (key, name, time_zone, created_at) VALUES (?, ?, ?, ?)",
            (key_hash, name, time_zone, created_at),
        )
        domain_id = int(cur.lastrowid or 0)
    return Domain(domain_id, key_hash, name, time_zone, created_at)


def find_domain_by_hash(store: Store, key_hash: str) -> Domain | None:
    """The live domain whose key hashes to ``key_hash``, if any."""
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM domains WHERE key = ? AND deleted_at IS NULL", (key_hash,)
    ).fetchone()
    return Domain(*row) if row else None


def update_domain(store: Store, domain: Domain, name: str, time_zone: str) -> Domain:
    """Rename a domain or change its time zone."""
    with store.write(domain.id) as tx:
        tx.conn.execute(
            "UPDATE domains SET name = ?, time_zone = ? WHERE id = ?", (name, time_zone, domain.id)
        )
    return Domain(domain.id, domain.key_hash, name, time_zone, domain.created_at)


def delete_domain(store: Store, domain: Domain) -> None:
    """Retire a domain: its key stops working (its data stays in the file)."""
    with store.write(domain.id) as tx:
        tx.conn.execute("UPDATE domains SET deleted_at = ? WHERE id = ?", (tx.stamp(), domain.id))
