"""The budget file: one SQLite file per (domain key, base URL), shared by every local process.

Its name is a hash of key and URL (never the key) and it lives in a per-user cache directory,
so a tap and a target running side by side, or several tap partitions, spend one budget.

Most of it belongs to pyrate-limiter: its ``SQLiteBucket`` with ``use_file_lock=True`` keeps one
row per request in table ``requests`` and serialises processes with a ``filelock.FileLock``.
The client names each row by a random token so it can move the row's timestamp from the
instant of sending to the instant the answer arrived (see ``_throttle``).
Two small tables sit beside it, under the same file lock and connection, because pyrate-limiter
has no notion of them:

* ``pause`` -- "nobody sends before this instant" (a 429's ``Retry-After``). pyrate-limiter can
  only delay by counting requests in a window; it has no cross-process "pause until".
* ``gone`` -- endpoints (method + path template) that answered 410, so no process calls them
  again.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from pyrate_limiter import Rate, SQLiteBucket

from ._secrets import fingerprint

STATE_DIR_ENV = "OSSIT_CLIENT_STATE_DIR"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pause (id INTEGER PRIMARY KEY CHECK (id = 1), until_ms INTEGER)",
    "CREATE TABLE IF NOT EXISTS gone (endpoint TEXT PRIMARY KEY, marked_at_ms INTEGER)",
)


def default_state_dir() -> Path:
    """``$OSSIT_CLIENT_STATE_DIR`` if set, else the user cache dir (~/.cache/ossit-client)."""
    override = os.environ.get(STATE_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("ossit-client"))


def state_file_path(domain_key: str, base_url: str, state_dir: str | Path | None = None) -> Path:
    """Where the budget of this key at this URL is kept; the name reveals neither."""
    directory = Path(state_dir) if state_dir is not None else default_state_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory / f"budget-{fingerprint(base_url, domain_key)}.sqlite"


class StateFile:
    """The shared SQLite file: pyrate-limiter's request log plus the pause and gone tables."""

    REQUESTS_TABLE = "requests"

    def __init__(self, path: Path, rate: Rate) -> None:
        self.path = path
        self.bucket = SQLiteBucket.init_from_file(
            [rate], table=self.REQUESTS_TABLE, db_path=str(path), use_file_lock=True
        )
        # The bucket's FileLock (reentrant per thread) guards every read and write below, so the
        # one connection is never used by two threads or processes at once.
        self.lock = self.bucket.lock
        with self.lock:
            for statement in _SCHEMA:
                self.bucket.conn.execute(statement)
            self.bucket.conn.commit()

    def now_ms(self) -> int:
        """Wall-clock milliseconds, the clock pyrate-limiter's SQLite bucket stamps rows with."""
        return int(self.bucket.now())

    def pause_until_ms(self) -> int:
        """The instant (epoch ms) before which no process should send; 0 if none."""
        with self.lock:
            row = self.bucket.conn.execute("SELECT until_ms FROM pause WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def extend_pause(self, until_ms: int) -> None:
        """Move the shared pause to ``until_ms`` unless it already reaches further."""
        with self.lock:
            self.bucket.conn.execute(
                "INSERT INTO pause (id, until_ms) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET until_ms = MAX(until_ms, excluded.until_ms)",
                (until_ms,),
            )
            self.bucket.conn.commit()

    def is_gone(self, endpoint: str) -> bool:
        """Whether any process saw a 410 from ``endpoint``."""
        with self.lock:
            row = self.bucket.conn.execute(
                "SELECT 1 FROM gone WHERE endpoint = ?", (endpoint,)
            ).fetchone()
        return row is not None

    def mark_gone(self, endpoint: str) -> None:
        """Record a 410 so no process on this machine calls ``endpoint`` again."""
        with self.lock:
            self.bucket.conn.execute(
                "INSERT OR IGNORE INTO gone (endpoint, marked_at_ms) VALUES (?, ?)",
                (endpoint, self.now_ms()),
            )
            self.bucket.conn.commit()

    def count_since(self, start_ms: int) -> int:
        """Requests (and placeholders) logged at or after ``start_ms``."""
        with self.lock:
            row = self.bucket.conn.execute(
                f"SELECT COUNT(*) FROM {self.REQUESTS_TABLE} WHERE item_timestamp >= ?",
                (start_ms,),
            ).fetchone()
        return int(row[0])

    def restamp(self, name: str, timestamp_ms: int) -> None:
        """Move the logged request ``name`` to ``timestamp_ms``."""
        with self.lock:
            self.bucket.conn.execute(
                f"UPDATE {self.REQUESTS_TABLE} SET item_timestamp = ? WHERE name = ?",
                (timestamp_ms, name),
            )
            self.bucket.conn.commit()

    def log_placeholders(self, count: int, timestamp_ms: int) -> None:
        """Log ``count`` requests this machine did not make but the server counted."""
        with self.lock:
            self.bucket.conn.executemany(
                f"INSERT INTO {self.REQUESTS_TABLE} (name, item_timestamp) VALUES (?, ?)",
                [("server", timestamp_ms)] * count,
            )
            self.bucket.conn.commit()

    def close(self) -> None:
        """Close the connection (the file and its lock file stay for the next run)."""
        self.bucket.close()
