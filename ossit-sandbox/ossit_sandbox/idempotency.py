"""``Idempotency-Key`` replay: the first answer to a key is stored for 24 hours.

A repeat with the same key gets the stored answer and changes nothing, so a client that
lost an answer can retry an ``add`` without applying it twice. Reusing a key for a
different request is a 409.
"""

from __future__ import annotations

import hashlib

from ossit_sandbox.store.db import Store
from ossit_sandbox.timefmt import now_us

TTL_US = 24 * 3600 * 1_000_000


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests 'the same request'."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyStore:
    """Stored answers, in the sandbox database so they survive a restart."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def lookup(self, domain_key: str, key: str) -> tuple[str, int, bytes] | None:
        """(fingerprint, status, body) of the first answer to ``key``, if still fresh."""
        row = self.store.conn.execute(
            "SELECT fingerprint, status, body, created_us FROM idempotency"
            " WHERE domain_key = ? AND key = ?",
            (domain_key, key),
        ).fetchone()
        if row is None or row[3] + TTL_US < now_us():
            return None
        return row[0], row[1], bytes(row[2])

    def save(self, domain_key: str, key: str, print_: str, status: int, body: bytes) -> None:
        """Remember an answer (and forget expired ones)."""
        now = now_us()
        with self.store.write(None) as tx:
            tx.conn.execute("DELETE FROM idempotency WHERE created_us < ?", (now - TTL_US,))
            tx.conn.execute(
                "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                (domain_key, key, print_, status, body, now),
            )
