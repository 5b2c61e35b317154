"""The database: schema, per-thread connections and the single write transaction.

Every write runs inside :meth:`Store.write`, which holds one process-wide lock and a
``BEGIN IMMEDIATE`` transaction (so other processes on the same file, such as the
``generate`` command, wait too). Inside it :class:`Tx` hands out timestamps that are
strictly increasing per domain; commits happen in stamp order, so a reader that has seen
stamp ``t`` will never later find a record stamped before ``t``.

A server request that writes runs in a transaction the middleware opened on the request
connection and published with :meth:`Store.joined` (see :mod:`ossit_sandbox.idempotency`):
there :meth:`Store.write` is a savepoint of that transaction and :attr:`Store.conn` is that
connection, so the request reads its own writes and one COMMIT makes the write durable
together with the answer stored for its ``Idempotency-Key``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ossit_sandbox.timefmt import format_us, iso_duration, now_us

SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted_at TEXT,
    last_us INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX IF NOT EXISTS groups_sync ON groups (domain_id, updated_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS groups_name ON groups (domain_id, name)
    WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS statistics (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    unit TEXT,
    description TEXT,
    value REAL,
    reference_date TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX IF NOT EXISTS statistics_sync ON statistics (domain_id, updated_at, id);
CREATE INDEX IF NOT EXISTS statistics_group ON statistics (group_id);
CREATE UNIQUE INDEX IF NOT EXISTS statistics_name ON statistics (group_id, name)
    WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS points (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL,
    statistic_id INTEGER NOT NULL,
    reference_date TEXT NOT NULL,
    value REAL NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX IF NOT EXISTS points_sync ON points (domain_id, updated_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS points_day ON points (statistic_id, reference_date);
CREATE TABLE IF NOT EXISTS intervals (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    statistic TEXT,
    external_id TEXT,
    type TEXT NOT NULL,
    name TEXT,
    start TEXT NOT NULL,
    "end" TEXT,
    metadata TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX IF NOT EXISTS intervals_sync ON intervals (domain_id, updated_at, id);
CREATE INDEX IF NOT EXISTS intervals_group ON intervals (group_id);
CREATE UNIQUE INDEX IF NOT EXISTS intervals_external ON intervals (domain_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS idempotency (
    domain_key TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_us INTEGER NOT NULL,
    PRIMARY KEY (domain_key, key)
);
CREATE INDEX IF NOT EXISTS idempotency_age ON idempotency (created_us);
CREATE INDEX IF NOT EXISTS idempotency_domain_age ON idempotency (domain_key, created_us);
"""


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint every 4000 pages (16 MB of WAL) rather than SQLite's 1000. One day for a
    # thousand statistics writes ~370 pages (its points land all over the (statistic, day)
    # index), so at 1000 every third COMMIT copied and fsynced the same hot pages again:
    # half of a batch's commit time. Each commit is as durable as before (synchronous=NORMAL).
    conn.execute("PRAGMA wal_autocheckpoint=4000")
    conn.execute("PRAGMA busy_timeout=60000")
    # Small per-connection caches: the thread pool may open dozens of connections and the
    # OS page cache serves the file anyway, so memory stays flat however big the domain.
    conn.execute("PRAGMA cache_size=-8192")
    conn.create_function("iso_duration", 2, iso_duration, deterministic=True)
    return conn


def _create_private(path: str) -> None:
    """Create a missing database file readable and writable by its owner only (0600).

    It holds every domain's data (keys only hashed, but data nonetheless). SQLite gives the
    ``-wal`` and ``-shm`` files it creates later the mode of the database file, so creating
    this one empty with 0600 before SQLite opens it covers all three, without touching the
    process-wide umask (other threads may be creating files meanwhile).
    """
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class Tx:
    """One write transaction of one domain; hands out that domain's next timestamps."""

    def __init__(self, conn: sqlite3.Connection, domain_id: int | None) -> None:
        self.conn = conn
        self.domain_id = domain_id
        self._last = 0
        if domain_id is not None:
            row = conn.execute("SELECT last_us FROM domains WHERE id = ?", (domain_id,)).fetchone()
            self._last = row[0] if row else 0
        self._first = self._last
        self._second = -1
        self._prefix = ""

    def stamp(self) -> str:
        """The next timestamp of this domain: now, or one microsecond after the last one."""
        self._last = max(self._last + 1, now_us())
        return self._text(self._last)

    def stamps(self, count: int) -> list[str]:
        """``count`` consecutive timestamps, for bulk writes and cascades."""
        first = max(self._last + 1, now_us())
        self._last = first + count - 1
        return [self._text(us) for us in range(first, first + count)]

    def _text(self, us: int) -> str:
        """:func:`format_us`, the date part formatted once per second rather than per stamp
        (a batch takes a thousand stamps or more, and ``gmtime`` costs more than the rest)."""
        whole, micro = divmod(us, 1_000_000)
        if whole != self._second:
            self._second, self._prefix = whole, format_us(whole * 1_000_000)[:-8]
        return f"{self._prefix}.{micro:06d}Z"

    def restamp(self, table: str, ids: list[int], *, delete: bool) -> None:
        """Give each row its own new ``updated_at`` (and tombstone it when ``delete``).

        Used by cascades and renames: every child record changes, so every child moves to
        the end of the ``(updated_at, id)`` order where incremental readers find it.
        """
        if not ids:
            return
        stamps = self.stamps(len(ids))
        if delete:
            self.conn.executemany(
                f"UPDATE {table} SET updated_at = ?, deleted_at = ? WHERE id = ?",
                [(s, s, i) for s, i in zip(stamps, ids, strict=True)],
            )
        else:
            self.conn.executemany(
                f"UPDATE {table} SET updated_at = ? WHERE id = ?",
                list(zip(stamps, ids, strict=True)),
            )

    def flush(self) -> None:
        """Remember the last stamp handed out, so the next transaction continues after it."""
        if self.domain_id is not None and self._last != self._first:
            self.conn.execute(
                "UPDATE domains SET last_us = ? WHERE id = ?", (self._last, self.domain_id)
            )


# The write transaction of the request running in this context (its store and connection).
# A ContextVar, not a thread-local: the request's work hops between the event loop and
# worker threads, and anyio's to_thread runs each call in a copy of the caller's context.
_OPEN_WRITE: ContextVar[tuple[Store, sqlite3.Connection] | None] = ContextVar(
    "ossit_sandbox_open_write", default=None
)


@contextmanager
def _atomic(
    conn: sqlite3.Connection, domain_id: int | None, begin: str, end: str, undo: tuple[str, ...]
) -> Iterator[Tx]:
    """Run ``begin``, the body, then ``end``; on any exception the ``undo`` statements."""
    conn.execute(begin)
    try:
        tx = Tx(conn, domain_id)
        yield tx
        tx.flush()
        conn.execute(end)
    except BaseException:
        for statement in undo:
            conn.execute(statement)
        raise


class Store:
    """The sandbox database file: one connection per thread, one writer at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._request_conn: sqlite3.Connection | None = None
        _create_private(path)
        self.conn.executescript(SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        """The open request transaction's connection, else this thread's (autocommit: each
        read is its own snapshot)."""
        joined = self._joined()
        if joined is not None:
            return joined
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect(self.path)
        return conn

    @property
    def request_conn(self) -> sqlite3.Connection:
        """The connection of request transactions (one at a time: the caller serialises)."""
        if self._request_conn is None:
            self._request_conn = _connect(self.path)
        return self._request_conn

    @contextmanager
    def joined(self, conn: sqlite3.Connection) -> Iterator[None]:
        """Make ``conn``'s open transaction the one this context's reads and writes use."""
        token = _OPEN_WRITE.set((self, conn))
        try:
            yield
        finally:
            _OPEN_WRITE.reset(token)

    def _joined(self) -> sqlite3.Connection | None:
        open_write = _OPEN_WRITE.get()
        return open_write[1] if open_write is not None and open_write[0] is self else None

    @contextmanager
    def write(self, domain_id: int | None) -> Iterator[Tx]:
        """One all-or-nothing write; any exception rolls back all of it (and only it).

        Inside a joined request transaction it is a savepoint, committed later with the
        request's stored answer; otherwise its own transaction under the process-wide lock.
        """
        joined = self._joined()
        if joined is not None:
            undo = ("ROLLBACK TO write", "RELEASE write")
            with _atomic(joined, domain_id, "SAVEPOINT write", "RELEASE write", undo) as tx:
                yield tx
            return
        with (
            self._write_lock,
            _atomic(self.conn, domain_id, "BEGIN IMMEDIATE", "COMMIT", ("ROLLBACK",)) as tx,
        ):
            yield tx

    def close(self) -> None:
        """Close this thread's connection (and the request connection, when opened)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._request_conn is not None:
            self._request_conn.close()
            self._request_conn = None
