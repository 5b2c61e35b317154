"""Write requests run in one transaction with the answer stored for their ``Idempotency-Key``.

A repeat with the same key within 24 hours gets the stored answer and changes nothing, so a
client that lost an answer can retry an ``add`` without applying it twice. Reusing a key for
a different request is a 409.

That promise only holds if the write and its stored answer become durable together. Once
they were two transactions (the write committed inside the app, the answer afterwards), and
a crash between them let a retry apply the write again. Now the middleware opens the
transaction (:meth:`WriteRequests.open`) before the app runs: the store's writes join it as
savepoints, the answer is inserted into it, and one COMMIT makes both durable, or a
ROLLBACK (5xx, 401, 429, an exception) leaves neither. The lookup of a stored answer is in
the same transaction, so a concurrent retry waits for the first attempt and replays it.

Every write request opens one, with or without a key, so that in this process all writers
queue on one ``asyncio.Lock`` in the event loop: no worker thread ever blocks waiting to
write, which keeps a thread free for the request holding the transaction (waiting in
threads, up to the pool's size, could starve it), and ``async with`` releases the lock on
every exit. Other processes on the file (``generate``) are kept out by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from ossit_schemas import IDEMPOTENCY_ANSWERS_KEPT, IDEMPOTENCY_TTL_SECONDS

from ossit_sandbox.api.common import run
from ossit_sandbox.errors import ApiError
from ossit_sandbox.store.db import Store
from ossit_sandbox.timefmt import now_us

TTL_US = IDEMPOTENCY_TTL_SECONDS * 1_000_000
# Stored answers kept per domain key: storing one more evicts the oldest. With the 24 h
# expiry this bounds the table even for a client that sends a new key with every write
# (at the default rate limit a domain reaches 24,000 a day; a raised limit cannot pass this).
# A module attribute, so a test can lower it.
MAX_STORED_PER_DOMAIN = IDEMPOTENCY_ANSWERS_KEPT

Headers = list[tuple[bytes, bytes]]
Answer = tuple[int, Headers, bytes]

_REUSED = ApiError(
    409, "idempotency_key_reused", "this Idempotency-Key was used for a different request"
).encoded()


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests 'the same request'."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def keeps(status: int) -> bool:
    """Whether a write answered ``status`` is committed (with its answer stored, given a key).

    5xx, 401 and 429 say the request was not handled, so a retry must be free to run it.
    """
    return status < 500 and status not in (401, 429)


@dataclass(frozen=True)
class Claim:
    """A request's ``Idempotency-Key``, the domain key it belongs to (as its hash, like the
    domains table) and what it stands for."""

    domain_key: str
    key: str
    fingerprint: str


class RequestWrite:
    """The open transaction of one write request."""

    def __init__(self, conn: sqlite3.Connection, claim: Claim | None) -> None:
        self.conn = conn
        self.claim = claim

    def stored(self) -> Answer | None:
        """The answer a repeat gets (the stored one, or a 409 for another request), if any."""
        if self.claim is None:
            return None
        row = self.conn.execute(
            "SELECT fingerprint, status, body, created_us FROM idempotency"
            " WHERE domain_key = ? AND key = ?",
            (self.claim.domain_key, self.claim.key),
        ).fetchone()
        if row is None or row[3] + TTL_US < now_us():
            return None
        if row[0] != self.claim.fingerprint:
            return 409, [], _REUSED
        return row[1], [(b"idempotent-replayed", b"true")], bytes(row[2])

    async def commit(self, status: int, body: bytes) -> None:
        """Store the answer (given a key; expired ones are forgotten) and COMMIT it all."""
        if self.claim is not None:
            now = now_us()
            self.conn.execute("DELETE FROM idempotency WHERE created_us < ?", (now - TTL_US,))
            self.conn.execute(
                "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                (self.claim.domain_key, self.claim.key, self.claim.fingerprint, status, body, now),
            )
            # Walks the (domain_key, created_us) index, newest first, past the kept rows.
            self.conn.execute(
                "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency"
                " WHERE domain_key = ? ORDER BY created_us DESC, rowid DESC LIMIT -1 OFFSET ?)",
                (self.claim.domain_key, MAX_STORED_PER_DOMAIN),
            )
        await run(self.conn.execute, "COMMIT")


class WriteRequests:
    """Opens the one transaction of each write request, one request at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._gate = asyncio.Lock()

    @asynccontextmanager
    async def open(self, claim: Claim | None) -> AsyncIterator[RequestWrite]:
        """The request's transaction, joined by the store for this context; rolled back on
        exit unless :meth:`RequestWrite.commit` ran."""
        async with self._gate:
            conn = self.store.request_conn
            # In a thread: another process (``generate``) may hold the file's write lock.
            await run(conn.execute, "BEGIN IMMEDIATE")
            try:
                with self.store.joined(conn):
                    yield RequestWrite(conn, claim)
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
