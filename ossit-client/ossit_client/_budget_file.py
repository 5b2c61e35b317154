"""The budget file: one small JSON file per domain (named by the origin's domain, never the
key) in a per-user cache directory, shared by this machine's processes under a
``filelock.FileLock`` and rewritten whole through a rename, so a crash never leaves half a
file. The lock is held for milliseconds, so a minute without it means a hung holder: the
wait is bounded, and every failure is one ``BudgetFileError`` saying how to reset it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import filelock
import orjson
import platformdirs

from ._budget import Ledger, T
from ._exceptions import BudgetFileError
from ._origin import Origin

STATE_DIR_ENV = "OSSIT_CLIENT_STATE_DIR"
#: The longest wait for the budget's lock, in seconds.
LOCK_TIMEOUT_SECONDS = 60.0


def state_file_path(origin: Origin, state_dir: str | Path | None = None) -> Path:
    """The budget file in ``state_dir``, else ``$OSSIT_CLIENT_STATE_DIR``, else the cache dir."""
    directory = Path(
        state_dir or os.environ.get(STATE_DIR_ENV) or platformdirs.user_cache_dir("ossit-client")
    )
    with budget_errors(directory):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory / f"budget-{origin.domain}.json"


@contextlib.contextmanager
def budget_errors(path: Path, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Turn a failure of the budget file, its lock or its directory into ``BudgetFileError``."""
    try:
        yield
    except (OSError, ValueError) as exc:
        # filelock.Timeout (an OSError) names no file: the budget file is the one meant
        where = Path(exc.filename) if isinstance(exc, OSError) and exc.filename else path
        if isinstance(exc, filelock.Timeout):
            reason = (
                f"its lock was not free within {lock_timeout:g} s: another process holds "
                "it, hung, or a stale lock was left on a network filesystem; stop that process"
            )
        elif isinstance(exc, OSError):
            reason = exc.strerror or str(exc) or type(exc).__name__
        else:
            reason = f"not a budget file: {exc}"
        raise BudgetFileError(
            where,
            f"the shared request budget at {where} cannot be used ({reason}). The budget file "
            "holds only request timestamps, the 429 pause and retired endpoints: delete it "
            f"(and its .lock file) to reset the budget, or set state_dir (or {STATE_DIR_ENV}) "
            "to a directory this user can write.",
        ) from exc


class FileStore:
    """A ledger in a JSON file, changed under a file lock (see the module's docstring)."""

    def __init__(self, path: Path, lock_timeout: float | None = None) -> None:
        lock_timeout = LOCK_TIMEOUT_SECONDS if lock_timeout is None else lock_timeout
        if not 0 <= lock_timeout < float("inf"):
            raise ValueError("lock_timeout must be a finite number of seconds >= 0")
        self.path = path
        self.where = str(path)
        self.lock_timeout = lock_timeout
        self._lock = filelock.FileLock(f"{path}.lock", timeout=lock_timeout)
        self._closed = False

    def update(self, change: Callable[[Ledger, int], T]) -> T:
        """``change`` on the file's ledger under the lock; written back if it changed."""
        if self._closed:
            raise BudgetFileError(self.path, f"the budget at {self.path} was closed")
        with budget_errors(self.path, self.lock_timeout), self._lock:
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                data = b""
            ledger = _parse(data) if data else Ledger()
            result = change(ledger, time.time_ns() // 1_000_000)
            written = orjson.dumps(ledger, default=sorted)  # its fields in order, ``gone`` sorted
            if written != data:
                temporary = self.path.with_name(self.path.name + ".tmp")
                temporary.write_bytes(written)
                os.replace(temporary, self.path)
        return result

    def close(self) -> None:
        """Nothing stays open between changes; later changes are refused."""
        self._closed = True


def _parse(data: bytes) -> Ledger:
    """The ledger a budget file holds, or a ValueError for anything else."""
    saved = orjson.loads(data)
    try:
        ledger = Ledger(saved["log"], saved["pause_until"], set(saved["gone"]), saved["generation"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"no ledger ({type(exc).__name__}: {exc})") from None
    stamps = [*ledger.log.values(), ledger.pause_until]
    if not all(type(stamp) is int for stamp in stamps) or not isinstance(ledger.generation, str):
        raise ValueError("its entries are not instants")
    return ledger
