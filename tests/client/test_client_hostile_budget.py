"""A budget file that cannot be used is one clear error: which path, and how to reset it.

Corrupt (not a budget file), unreadable (errno 13), a directory where the file or its
lock should be (errno 21), a file where the directory should be: each must raise
``BudgetFileError`` (an ``OssitError``) naming the path, telling to delete it or to point
``state_dir`` / ``OSSIT_CLIENT_STATE_DIR`` elsewhere, never a raw sqlite3 or OSError.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ossit_client as oc
import pytest
from ossit_client._budget_file import state_file_path
from ossit_client._origin import Origin

pytestmark = pytest.mark.timeout(30)

URL = "http://127.0.0.1:9"
KEY = "dk_test_budget_0123456789"


def open_client(state_dir: Path) -> oc.OssitClient:
    return oc.OssitClient(KEY, base_url=URL, state_dir=state_dir)


def assert_explains(error: oc.BudgetFileError, path: Path) -> None:
    text = str(error)
    assert str(path) in text
    assert "delete it" in text
    assert "state_dir" in text
    assert "OSSIT_CLIENT_STATE_DIR" in text
    assert KEY not in text


def corrupt(path: Path) -> Path:
    path.write_bytes(b"this is not a database, " * 200)
    return path


def directory(path: Path) -> Path:
    path.mkdir()
    return path


def lock_directory(path: Path) -> Path:
    lock = path.with_name(path.name + ".lock")
    lock.mkdir()
    return lock


BROKEN: dict[str, Callable[[Path], Path]] = {
    "corrupt": corrupt,
    "file-is-a-directory": directory,
    "lock-is-a-directory": lock_directory,
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_budget_file_is_a_clear_error(tmp_path: Path, name: str) -> None:
    path = state_file_path(Origin.of(URL, KEY), tmp_path)
    culprit = BROKEN[name](path)
    with pytest.raises(oc.BudgetFileError) as caught:
        open_client(tmp_path)
    assert caught.value.path in (path, culprit)
    assert_explains(caught.value, caught.value.path)


def test_a_file_where_the_directory_should_be_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a directory")
    with pytest.raises(oc.BudgetFileError) as caught:
        open_client(blocker / "deeper")
    assert_explains(caught.value, caught.value.path)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("pathlib.Path.read_bytes", PermissionError(errno.EACCES, "Permission denied")),
        ("pathlib.Path.write_bytes", PermissionError(errno.EACCES, "Permission denied")),
        ("pathlib.Path.mkdir", PermissionError(errno.EACCES, "Permission denied")),
    ],
)
def test_an_unreadable_budget_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, error: Exception
) -> None:
    # the tests run as root, whom no permission stops: the refusal is simulated
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(target, refuse)
    with pytest.raises(oc.BudgetFileError) as caught:
        open_client(tmp_path / "state")
    assert_explains(caught.value, caught.value.path)
    assert "Permission denied" in str(caught.value)
    assert caught.value.__cause__ is error


def test_a_budget_file_broken_while_in_use_is_a_clear_error(
    hostile: Callable, make_client: Callable, state_dir: Path
) -> None:
    server = hostile(lambda exchange: exchange.answer(200, {"data": [], "next_cursor": None}))
    client = make_client(server.base_url, KEY)
    list(client.statistic_groups.list())
    path = state_file_path(Origin.of(server.base_url, KEY), state_dir)
    corrupt(path)  # under the running client, which reads the file at every turn
    with pytest.raises(oc.BudgetFileError) as caught:
        list(client.statistic_groups.list())
    assert_explains(caught.value, path)


@pytest.mark.timeout(10)
def test_closing_a_handle_inside_another_handles_lock_does_not_deadlock(tmp_path: Path) -> None:
    # tap-ossit closes its client from a finalizer, which the garbage collector may run while
    # this thread is acquiring (or holds) the lock of another handle on the same file
    first, second = open_client(tmp_path), open_client(tmp_path)
    try:
        with first._budget._store._lock:  # type: ignore[attr-defined]
            second.close()
        with pytest.raises(oc.BudgetFileError, match="closed"):
            second.statistic_groups.get("g")  # a closed handle says so, as an OssitError
    finally:
        first.close()
