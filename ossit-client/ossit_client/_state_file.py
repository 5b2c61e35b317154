"""The budget file: one SQLite file per (domain key, base URL), shared by every local process.

Its name is a hash of key and URL (never the key) and it lives in a per-user cache directory,
so a tap and a target running side by side, or several tap partitions, spend one budget.

Most of it belongs to pyrate-limiter: its ``SQLiteBucket`` keeps one row per request in table
``requests``, and a ``filelock.FileLock`` (its ``use_file_lock=True`` setup) serialises processes.
The client names each row by a random token so it can move the row's timestamp from the
instant of sending to the instant the answer arrived (see ``_throttle``).
Two small tables sit beside it, under the same file lock and connection, because pyrate-limiter
has no notion of them:

* ``pause`` -- "nobody sends before this instant" (a 429's ``Retry-After``). pyrate-limiter can
  only delay by counting requests in a window; it has no cross-process "pause until".
* ``gone`` -- endpoints (method + path template) that answered 410, so no process calls them
  again.

Every access goes through ``StateFile.locked``, which turns a failure of the file, its lock or
its directory (``file is not a database``, permission denied, a directory where the file
should be) into one ``BudgetFileError`` naming the path and how to reset it.

Waiting for the lock is bounded (``LOCK_TIMEOUT_SECONDS``, both the file lock and SQLite's busy
timeout): the lock is held for milliseconds at a time, so a minute without it means a process
that holds it forever (hung, or a stale lock on a network filesystem), and every process on
the key would otherwise wait silently behind it. Past the bound, ``BudgetFileError`` says so.
The bucket is therefore built here rather than by pyrate-limiter's ``init_from_file``, whose
file lock and connection wait without limit.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import filelock
import platformdirs
from pyrate_limiter import Decision, Rate, RateItem, SQLiteBucket
from pyrate_limiter.buckets.sqlite_bucket import Queries

from ._exceptions import BudgetFileError
from ._origin import Origin
from ._server_count import ServerCount

STATE_DIR_ENV = "OSSIT_CLIENT_STATE_DIR"
#: The longest wait for the budget's lock (file lock and SQLite busy timeout), in seconds.
LOCK_TIMEOUT_SECONDS = 60.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pause (id INTEGER PRIMARY KEY CHECK (id = 1), until_ms INTEGER)",
    "CREATE TABLE IF NOT EXISTS gone (endpoint TEXT PRIMARY KEY, marked_at_ms INTEGER)",
)


def default_state_dir() -> Path:
    """``$OSSIT_CLIENT_STATE_DIR`` if set, else the user cache dir (~/.cache/ossit-client)."""
    override = os.environ.get(STATE_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("ossit-client"))


def state_file_path(origin: Origin, state_dir: str | Path | None = None) -> Path:
    """Where the budget of one domain on one server is kept; the name reveals no key."""
    directory = Path(state_dir) if state_dir is not None else default_state_dir()
    with budget_errors(directory):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory / f"budget-{origin.domain}.sqlite"


@contextmanager
def budget_errors(path: Path, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Turn a failure of the budget file, its lock or its directory into ``BudgetFileError``.

    The raw ``sqlite3``/``OSError`` text (``file is not a database``, ``[Errno 13]``, a lock
    timeout) says neither which file nor what to do; this one says both.
    """
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        where = Path(exc.filename) if isinstance(exc, OSError) and exc.filename else path
        if _is_lock_timeout(exc):
            reason = (
                f"its lock was not free within {lock_timeout:g} s: another process holds "
                "it, hung, or a stale lock was left on a network filesystem; stop that process"
            )
            where = path
        else:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            reason = reason or type(exc).__name__
        raise BudgetFileError(
            where,
            f"the shared request budget at {where} cannot be used ({reason}). The budget file "
            "holds only request timestamps, the 429 pause and retired endpoints: delete it "
            f"(and its .lock file) to reset the budget, or set state_dir (or {STATE_DIR_ENV}) "
            "to a directory this user can write.",
        ) from exc


def _is_lock_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is a wait for the file lock or the database that ran out of time."""
    if isinstance(exc, filelock.Timeout):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


class StateFile:
    """The shared SQLite file: pyrate-limiter's request log plus the pause and gone tables."""

    REQUESTS_TABLE = "requests"

    def __init__(self, path: Path, rate: Rate, lock_timeout: float | None = None) -> None:
        self.path = path
        seconds = LOCK_TIMEOUT_SECONDS if lock_timeout is None else lock_timeout
        if not 0 <= seconds < float("inf"):
            raise ValueError("lock_timeout must be a finite number of seconds >= 0")
        self.lock_timeout = seconds
        # The FileLock (reentrant per thread) guards every read and write below, so the one
        # connection is never used by two threads or processes at once; its timeout, given
        # at construction, holds in every thread.
        with budget_errors(path, seconds):
            self.lock = filelock.FileLock(f"{path}.lock", timeout=seconds)
        with budget_errors(path, seconds), self.lock:
            conn = sqlite3.connect(
                path, timeout=seconds, isolation_level="DEFERRED", check_same_thread=False
            )
            try:
                self._create(conn)
            except BaseException:
                conn.close()
                raise
            self.bucket = SQLiteBucket([rate], conn, table=self.REQUESTS_TABLE, lock=self.lock)

    def _create(self, conn: sqlite3.Connection) -> None:
        """The tables and settings pyrate-limiter's ``init_from_file`` makes, and ours."""
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(Queries.CREATE_BUCKET_TABLE.format(table=self.REQUESTS_TABLE))
        conn.execute(
            Queries.CREATE_INDEX_ON_TIMESTAMP.format(
                index_name=f"idx_{self.REQUESTS_TABLE}_rate_item_timestamp",
                table_name=self.REQUESTS_TABLE,
            )
        )
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.commit()

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the cross-process lock; failures become ``BudgetFileError``.

        Waits ``lock_timeout`` seconds at most for the lock (and SQLite as long for the file).
        """
        with budget_errors(self.path, self.lock_timeout), self.lock:
            yield self.bucket.conn

    @property
    def interval_ms(self) -> int:
        """The counted window in ms (the server's plus the safety margin)."""
        return int(self.bucket.rates[0].interval)

    def now_ms(self) -> int:
        """Wall-clock milliseconds, the clock pyrate-limiter's SQLite bucket stamps rows with."""
        return int(self.bucket.now())  # type: ignore[no-untyped-call]  # unannotated upstream

    def decide(self, item: RateItem, last_seen: ServerCount | None = None) -> Decision:
        """Log ``item`` if the budget has room now; else say how long until it has.

        Held across put and decision: the bucket records the verdict on itself, and another
        thread's put must not overwrite it in between. ``last_seen`` is not needed: the file
        cannot lose its log while this process holds it open (deleting it unlinks a file
        this connection keeps using).
        """
        with self.locked():
            return cast(Decision, self.bucket.put_decision(item))  # a sync bucket: no awaitable

    def leak(self) -> None:
        """Drop rows that left the window, to keep the file small."""
        with self.locked():
            self.bucket.leak(self.now_ms())

    def pause_until_ms(self) -> int:
        """The instant (epoch ms) before which no process should send; 0 if none."""
        with self.locked() as conn:
            row = conn.execute("SELECT until_ms FROM pause WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def extend_pause(self, until_ms: int) -> None:
        """Move the shared pause to ``until_ms`` unless it already reaches further."""
        with self.locked() as conn:
            conn.execute(
                "INSERT INTO pause (id, until_ms) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET until_ms = MAX(until_ms, excluded.until_ms)",
                (until_ms,),
            )
            conn.commit()

    def cap_pause(self, until_ms: int) -> None:
        """Make the shared pause end by ``until_ms`` (it may come from an older client)."""
        with self.locked() as conn:
            conn.execute("UPDATE pause SET until_ms = MIN(until_ms, ?) WHERE id = 1", (until_ms,))
            conn.commit()

    def cap_timestamps(self, latest_ms: int) -> None:
        """Move rows stamped after ``latest_ms`` back to it (placeholders of an uncapped past)."""
        with self.locked() as conn:
            conn.execute(
                f"UPDATE {self.REQUESTS_TABLE} SET item_timestamp = ? WHERE item_timestamp > ?",
                (latest_ms, latest_ms),
            )
            conn.commit()

    def is_gone(self, endpoint: str) -> bool:
        """Whether any process saw a 410 from ``endpoint``."""
        with self.locked() as conn:
            row = conn.execute("SELECT 1 FROM gone WHERE endpoint = ?", (endpoint,)).fetchone()
        return row is not None

    def mark_gone(self, endpoint: str) -> None:
        """Record a 410 so no process on this machine calls ``endpoint`` again."""
        with self.locked() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO gone (endpoint, marked_at_ms) VALUES (?, ?)",
                (endpoint, self.now_ms()),
            )
            conn.commit()

    def count_since(self, start_ms: int) -> int:
        """Requests (and placeholders) logged at or after ``start_ms``."""
        with self.locked() as conn:
            row = conn.execute(
                f"SELECT COUNT(*) FROM {self.REQUESTS_TABLE} WHERE item_timestamp >= ?",
                (start_ms,),
            ).fetchone()
        return int(row[0])

    def restamp(self, name: str, timestamp_ms: int) -> None:
        """Move the logged request ``name`` to ``timestamp_ms``."""
        with self.locked() as conn:
            conn.execute(
                f"UPDATE {self.REQUESTS_TABLE} SET item_timestamp = ? WHERE name = ?",
                (timestamp_ms, name),
            )
            conn.commit()

    def log_placeholders(self, count: int, timestamp_ms: int) -> None:
        """Log ``count`` requests this machine did not make but the server counted."""
        with self.locked() as conn:
            conn.executemany(
                f"INSERT INTO {self.REQUESTS_TABLE} (name, item_timestamp) VALUES (?, ?)",
                [("server", timestamp_ms)] * count,
            )
            conn.commit()

    def top_up(self, count: int, since_ms: int, timestamp_ms: int) -> int:
        """Log placeholders at ``timestamp_ms`` until ``count`` rows are after ``since_ms``.

        Counting and logging under one lock: returns how many were added.
        """
        with self.locked():
            deficit = count - self.count_since(since_ms)
            if deficit > 0:
                self.log_placeholders(deficit, timestamp_ms)
        return max(deficit, 0)

    def close(self) -> None:
        """Close the connection (the file and its lock file stay for the next run).

        Without the file lock (pyrate-limiter's ``SQLiteBucket.close`` takes it): ``close``
        may run from a finalizer -- tap-ossit closes its client when the tap object is
        collected -- and the garbage collector can run it inside another handle's
        acquisition of the same file's lock, in the same thread, which would then wait for
        itself forever. Nothing needs the lock here: every write is committed at once.
        """
        with budget_errors(self.path, self.lock_timeout):
            self.bucket.conn.close()
