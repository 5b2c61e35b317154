"""A budget lock held forever is a clear error after a bounded wait, never a silent hang.

Another process holds the file lock (as a hung process, or a stale lock on a network
filesystem, would), or another connection holds SQLite's write lock; the client waits
``lock_timeout`` (60 s by default, short here) and then raises ``BudgetFileError`` naming the
file and how to reset it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import ossit_client as oc
import pytest
from ossit_client import _state_file
from ossit_client._state_file import StateFile, state_file_path
from ossit_client._throttle import Throttle
from pyrate_limiter import SQLiteBucket

#: "Does not hang" is pytest-timeout's: below the default 60 s lock timeout, so a short
#: ``lock_timeout`` that is not honoured fails the test.
pytestmark = pytest.mark.timeout(30)

URL = "http://127.0.0.1:9"
KEY = "dk_test_lock_0123456789"
#: How long the lock holder may take to exit once told to.
EXIT = 10.0

_HOLDER = """
import sys
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.readline()  # until the test closes our stdin (or ends)
"""


@contextmanager
def lock_held_by_another_process(lock_file: Path) -> Iterator[None]:
    """A second process holding ``lock_file`` until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(lock_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None
    assert holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=EXIT)
        holder.stdout.close()


def assert_explains_lock(error: oc.BudgetFileError, path: Path, seconds: float) -> None:
    text = str(error)
    assert error.path == path
    assert str(path) in text
    assert f"its lock was not free within {seconds:g} s" in text
    assert "another process holds it" in text
    assert "delete it (and its .lock file)" in text
    assert KEY not in text


def test_a_lock_held_by_another_process_fails_after_the_timeout(state_dir: Path) -> None:
    path = state_file_path(KEY, URL, state_dir)
    rate = Throttle.rate(10, 60.0)
    StateFile(path, rate).close()  # the file exists, as after an earlier run
    with (
        lock_held_by_another_process(Path(f"{path}.lock")),
        pytest.raises(oc.BudgetFileError) as caught,
    ):
        StateFile(path, rate, lock_timeout=0.3)
    assert_explains_lock(caught.value, path, 0.3)
    state = StateFile(path, rate, lock_timeout=0.3)  # free again: usable at once
    try:
        assert state.pause_until_ms() == 0
    finally:
        state.close()


def test_a_client_waits_for_the_lock_for_a_bounded_time(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_state_file, "LOCK_TIMEOUT_SECONDS", 0.3)
    client = oc.OssitClient(KEY, base_url=URL, state_dir=state_dir, max_retries=0)
    path = state_file_path(KEY, URL, state_dir)
    try:
        with lock_held_by_another_process(Path(f"{path}.lock")):
            with pytest.raises(oc.BudgetFileError) as caught:
                client.statistic_groups.get("g")
            assert_explains_lock(caught.value, path, 0.3)
            with pytest.raises(oc.BudgetFileError):
                oc.OssitClient(KEY, base_url=URL, state_dir=state_dir)
    finally:
        client.close()


def test_a_database_locked_by_another_connection_fails_after_the_timeout(
    state_dir: Path,
) -> None:
    path = state_file_path(KEY, URL, state_dir)
    state = StateFile(path, Throttle.rate(10, 60.0), lock_timeout=0.3)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(oc.BudgetFileError) as caught:
            state.extend_pause(state.now_ms() + 1000)
        assert_explains_lock(caught.value, path, 0.3)
        other.execute("ROLLBACK")
        state.extend_pause(state.now_ms() + 1000)  # free again
        assert state.pause_until_ms() > 0
    finally:
        other.close()
        state.close()


@pytest.mark.parametrize("seconds", [-1.0, float("inf"), float("nan")])
def test_an_unbounded_lock_timeout_is_refused(tmp_path: Path, seconds: float) -> None:
    with pytest.raises(ValueError, match="lock_timeout"):
        StateFile(tmp_path / "budget.sqlite", Throttle.rate(10, 60.0), lock_timeout=seconds)


def test_the_budget_file_is_made_as_pyrate_limiter_makes_it(tmp_path: Path) -> None:
    # StateFile builds the bucket itself (init_from_file's lock and connection wait without
    # limit): this fails when pyrate-limiter changes what init_from_file creates
    ours, theirs = tmp_path / "ours.sqlite", tmp_path / "theirs.sqlite"
    StateFile(ours, Throttle.rate(10, 60.0), lock_timeout=1.0).close()
    bucket = SQLiteBucket.init_from_file(
        [Throttle.rate(10, 60.0)],
        table=StateFile.REQUESTS_TABLE,
        db_path=str(theirs),
        use_file_lock=True,
    )
    bucket.conn.close()

    def made(path: Path) -> tuple[set[tuple[str, str]], str]:
        with closing(sqlite3.connect(path)) as conn:
            objects = set(conn.execute("SELECT name, sql FROM sqlite_master").fetchall())
            (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        return objects, mode

    our_objects, our_mode = made(ours)
    their_objects, their_mode = made(theirs)
    assert our_mode == their_mode == "wal"
    assert their_objects <= our_objects  # ours adds the pause and gone tables
    assert {name for name, _ in our_objects - their_objects} == {
        "pause",
        "gone",
        "sqlite_autoindex_gone_1",
    }
