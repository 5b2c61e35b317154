"""A write request's transaction (ossit_sandbox.idempotency.WriteRequests), in process.

The store's writes join the request's transaction from worker threads, and neither an
exception nor a cancelled request can leave the write lock held or a transaction open.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from ossit_sandbox.api.common import run
from ossit_sandbox.idempotency import Claim, WriteRequests
from ossit_sandbox.store.db import Store


def _add_domain(store: Store, name: str, started: threading.Event | None = None) -> None:
    """One store write, as a request handler does it in a worker thread."""
    with store.write(None) as tx:
        tx.conn.execute(
            "INSERT INTO domains (key, name, time_zone, created_at) VALUES (?, ?, 'UTC', '')",
            (f"key-{name}", name),
        )
        if started is not None:
            started.set()
            threading.Event().wait(0.3)  # still writing when the request is cancelled


def _names(path: Path) -> list[str]:
    """What another connection sees committed."""
    store = Store(str(path))
    try:
        return [row[0] for row in store.conn.execute("SELECT name FROM domains ORDER BY id")]
    finally:
        store.close()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(str(tmp_path / "writes.sqlite"))


def test_a_write_and_its_answer_commit_together(store: Store, tmp_path: Path) -> None:
    writes = WriteRequests(store)
    claim = Claim("domain key", "idem", "fingerprint")

    async def request() -> None:
        async with writes.open(claim) as write:
            await run(_add_domain, store, "a")
            # Inside the request, reads see its own uncommitted write; outside, nothing yet.
            assert store.conn.execute("SELECT COUNT(*) FROM domains").fetchone() == (1,)
            assert _names(tmp_path / "writes.sqlite") == []
            await write.commit(201, b"answer")
        async with writes.open(claim) as write:
            assert write.stored() == (201, [(b"idempotent-replayed", b"true")], b"answer")

    asyncio.run(request())
    assert _names(tmp_path / "writes.sqlite") == ["a"]


def test_an_exception_rolls_back_and_frees_the_next_writer(store: Store, tmp_path: Path) -> None:
    writes = WriteRequests(store)

    async def requests() -> None:
        with pytest.raises(RuntimeError):
            async with writes.open(None):
                await run(_add_domain, store, "lost")
                raise RuntimeError("the handler failed after writing")
        async with writes.open(None) as write:
            await run(_add_domain, store, "kept")
            await write.commit(200, b"")

    asyncio.run(asyncio.wait_for(requests(), timeout=10))
    assert _names(tmp_path / "writes.sqlite") == ["kept"]


def test_a_cancelled_request_lets_its_thread_finish_then_rolls_back(
    store: Store, tmp_path: Path
) -> None:
    writes = WriteRequests(store)
    started = threading.Event()

    async def request() -> None:
        async with writes.open(None) as write:
            await run(_add_domain, store, "cancelled", started)
            await write.commit(200, b"")

    async def scenario() -> None:
        task = asyncio.create_task(request())
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        for _ in range(20):  # let the loop deliver the cancellation, however long it takes
            await asyncio.sleep(0)
        assert not task.done()  # the thread still writes: nothing is rolled back under it
        with pytest.raises(asyncio.CancelledError):
            await task
        async with writes.open(None) as write:  # the lock is free, no transaction is open
            await run(_add_domain, store, "next")
            await write.commit(200, b"")

    asyncio.run(asyncio.wait_for(scenario(), timeout=10))
    assert _names(tmp_path / "writes.sqlite") == ["next"]
