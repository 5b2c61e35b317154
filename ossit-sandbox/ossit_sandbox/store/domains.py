"""Domains: one customer each, identified by a secret key, owning everything else."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from ossit_sandbox.store.db import Store
from ossit_sandbox.timefmt import format_us, now_us


@dataclass(frozen=True)
class Domain:
    """A live domain, as the API layer needs it for every request."""

    id: int
    key: str
    name: str
    time_zone: str
    created_at: str

    def __repr__(self) -> str:
        # The key is a secret: never let it reach a log line or a traceback.
        return f"Domain(id={self.id}, name={self.name!r}, time_zone={self.time_zone!r})"

    def record(self) -> dict[str, Any]:
        """The domain record of the contract (the key is shown only to its holder)."""
        return {
            "key": self.key,
            "name": self.name,
            "time_zone": self.time_zone,
            "created_at": self.created_at,
        }


_COLUMNS = "id, key, name, time_zone, created_at"


def create_domain(store: Store, name: str, time_zone: str = "UTC") -> Domain:
    """A new domain with a fresh random key."""
    key = "dk_" + secrets.token_urlsafe(24)
    created_at = format_us(now_us())
    with store.write(None) as tx:
        cur = tx.conn.execute(
            "INSERT INTO domains (key, name, time_zone, created_at) VALUES (?, ?, ?, ?)",
            (key, name, time_zone, created_at),
        )
        domain_id = int(cur.lastrowid or 0)
    return Domain(domain_id, key, name, time_zone, created_at)


def find_domain(store: Store, key: str) -> Domain | None:
    """The live domain holding ``key``, if any."""
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM domains WHERE key = ? AND deleted_at IS NULL", (key,)
    ).fetchone()
    return Domain(*row) if row else None


def update_domain(store: Store, domain: Domain, name: str, time_zone: str) -> Domain:
    """Rename a domain or change its time zone."""
    with store.write(domain.id) as tx:
        tx.conn.execute(
            "UPDATE domains SET name = ?, time_zone = ? WHERE id = ?", (name, time_zone, domain.id)
        )
    return Domain(domain.id, domain.key, name, time_zone, domain.created_at)


def delete_domain(store: Store, domain: Domain) -> None:
    """Retire a domain: its key stops working (its data stays in the file)."""
    with store.write(domain.id) as tx:
        tx.conn.execute("UPDATE domains SET deleted_at = ? WHERE id = ?", (tx.stamp(), domain.id))
