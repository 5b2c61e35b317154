"""Domains: one customer each, identified by a secret key, owning everything else.

The database holds only the SHA-256 of each key (:func:`hash_key`), as any server stores API
keys: a leaked database file reveals no key. A lookup hashes the presented key; the clear key
exists once, in the answer that creates the domain (:class:`NewDomain`), and afterwards only
in the requests of its holder.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from ossit_sandbox.store.db import Store
from ossit_sandbox.timefmt import format_us, now_us


def hash_key(key: str) -> str:
    """The stored form of a domain key (hex SHA-256 of its UTF-8 text).

    An unsalted fast hash suffices: keys are 192 random bits, not passwords, so there is
    nothing to guess by brute force, and a lookup stays one indexed query.
    """
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


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


@dataclass(frozen=True)
class NewDomain:
    """A domain just created, with its clear key: the only moment the server knows it."""

    domain: Domain
    key: str

    def __repr__(self) -> str:
        # The key is a secret: never let it reach a log line or a traceback.
        return f"NewDomain({self.domain!r})"


_COLUMNS = "id, key, name, time_zone, created_at"


def create_domain(store: Store, name: str, time_zone: str = "UTC") -> NewDomain:
    """A new domain with a fresh random key (stored hashed; returned clear, once)."""
    key = "dk_" + secrets.token_urlsafe(24)
    key_hash = hash_key(key)
    created_at = format_us(now_us())
    with store.write(None) as tx:
        cur = tx.conn.execute(
            "INSERT INTO domains (key, name, time_zone, created_at) VALUES (?, ?, ?, ?)",
            (key_hash, name, time_zone, created_at),
        )
        domain_id = int(cur.lastrowid or 0)
    return NewDomain(Domain(domain_id, key_hash, name, time_zone, created_at), key)


def find_domain(store: Store, key: str) -> Domain | None:
    """The live domain holding ``key`` (the clear key a request presents), if any."""
    return find_domain_by_hash(store, hash_key(key))


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
