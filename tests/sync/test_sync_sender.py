"""The loader's sending thread and its idempotency keys, without a connector around them.

``Sender`` releases a state only once every batch before it is acknowledged, and nothing
after a failed batch; ``batch_key`` names a batch by its load, stream, position and items.
"""

from __future__ import annotations

import threading

import pytest
from ossit_sync.loading.replay import batch_key
from ossit_sync.loading.sender import Sender


class _Gate:
    """A send that blocks until released, to hold a batch in flight."""

    def __init__(self, fail: bool = False) -> None:
        self.release = threading.Event()
        self.fail = fail

    def __call__(self) -> None:
        assert self.release.wait(10)
        if self.fail:
            raise RuntimeError("refused")


def test_a_state_is_written_only_when_the_batches_before_it_are_acknowledged() -> None:
    written: list[dict] = []
    sender = Sender(written.append)
    first, second = _Gate(), _Gate()

    sender.submit(first)
    sender.hold({"s": 1})  # after batch 1
    assert written == []
    first.release.set()
    sender.wait()
    assert written == [{"s": 1}]

    sender.submit(second)
    sender.hold({"s": 2})
    sender.hold({"s": 3})
    assert written == [{"s": 1}]
    second.release.set()
    sender.wait()
    assert written == [{"s": 1}, {"s": 3}]  # released together: the newest is enough
    sender.write_now({"s": 3})
    assert written == [{"s": 1}, {"s": 3}]  # the SDK's repeat of the latest state: once
    sender.close()


def test_a_failed_batch_releases_no_state_and_stops_the_next() -> None:
    written: list[dict] = []
    sender = Sender(written.append)
    failing = _Gate(fail=True)
    sender.submit(failing)
    sender.hold({"s": 1})
    failing.release.set()

    with pytest.raises(RuntimeError, match="refused"):
        sender.submit(_Gate())

    assert written == []
    sender.close()


def test_after_a_failed_batch_nothing_more_is_sent_or_released() -> None:
    written: list[dict] = []
    sender = Sender(written.append)
    failing, later = _Gate(fail=True), _Gate()
    sender.submit(failing)
    sender.hold({"s": 1})
    failing.release.set()
    with pytest.raises(RuntimeError, match="refused"):
        sender.wait()

    later.release.set()
    sender.submit(later)  # as a drain on a termination signal would
    with pytest.raises(RuntimeError, match="an earlier batch failed"):
        sender.wait()
    sender.write_now({"s": 2})

    assert written == []
    sender.close()


def test_batch_keys_tell_positions_and_contents_apart() -> None:
    items = [{"group": "g", "statistic": "s", "reference_date": "2026-01-01", "value": 1,
              "method": "add"}]  # fmt: skip
    same = batch_key("", "kpis", 0, items)
    assert same == batch_key("", "kpis", 0, [dict(reversed(items[0].items()))])
    assert same != batch_key("", "kpis", 1, items)  # the same add again, later: applied again
    assert same != batch_key("", "other", 0, items)
    assert same != batch_key("run-2", "kpis", 0, items)
    assert same != batch_key("", "kpis", 0, [{**items[0], "value": 2}])
