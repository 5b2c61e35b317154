"""A budget lock held forever is a clear error after a bounded wait, never a silent hang.

Another process holds the file lock (as a hung process, or a stale lock on a network
filesystem, would); the client waits
``lock_timeout`` (60 s by default, short here) and then raises ``BudgetFileError`` naming the
file and how to reset it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ossit_client as oc
import pytest
from ossit_client import _budget_file
from ossit_client._budget_file import FileStore, state_file_path
from ossit_client._origin import Origin

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
    path = state_file_path(Origin.of(URL, KEY), state_dir)
    FileStore(path).update(lambda ledger, now: None)  # the file exists, as after a run
    with (
        lock_held_by_another_process(Path(f"{path}.lock")),
        pytest.raises(oc.BudgetFileError) as caught,
    ):
        FileStore(path, lock_timeout=0.3).update(lambda ledger, now: None)
    assert_explains_lock(caught.value, path, 0.3)
    # free again: usable at once
    assert FileStore(path, lock_timeout=0.3).update(lambda ledger, now: ledger.pause_until) == 0


def test_a_client_waits_for_the_lock_for_a_bounded_time(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_budget_file, "LOCK_TIMEOUT_SECONDS", 0.3)
    client = oc.OssitClient(KEY, base_url=URL, state_dir=state_dir, max_retries=0)
    path = state_file_path(Origin.of(URL, KEY), state_dir)
    try:
        with lock_held_by_another_process(Path(f"{path}.lock")):
            with pytest.raises(oc.BudgetFileError) as caught:
                client.statistic_groups.get("g")
            assert_explains_lock(caught.value, path, 0.3)
            with pytest.raises(oc.BudgetFileError):
                oc.OssitClient(KEY, base_url=URL, state_dir=state_dir)
    finally:
        client.close()


@pytest.mark.parametrize("seconds", [-1.0, float("inf"), float("nan")])
def test_an_unbounded_lock_timeout_is_refused(tmp_path: Path, seconds: float) -> None:
    with pytest.raises(ValueError, match="lock_timeout"):
        FileStore(tmp_path / "budget.json", lock_timeout=seconds)
