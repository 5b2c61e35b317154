"""A dict that keeps at most N keys, forgetting the least recently used one beyond that.

The sandbox's test-facing per-key state (request stats, scripted faults) is keyed by
whatever Bearer key a caller sends, and a client sending random keys must not grow it
without end; so those tables are capped at :data:`MAX_TRACKED_KEYS`, far more keys than any
test or benchmark uses at once. An evicted key starts afresh (zero counts, no rules) when it
comes back. Rate-limit windows are not kept here: evicting one would lift a domain's limit
(see :mod:`ossit_sandbox.ratelimit`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

MAX_TRACKED_KEYS = 10_000


class LruDict(Generic[K, V]):
    """At most ``capacity`` entries; :meth:`get_or_create` makes an entry the most recent."""

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = MAX_TRACKED_KEYS if capacity is None else capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get_or_create(self, key: K, create: Callable[[], V]) -> V:
        """The entry of ``key``, created (evicting the oldest beyond capacity) when absent."""
        value = self._items.get(key)
        if value is None:
            value = self._items[key] = create()
            if len(self._items) > self.capacity:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return value

    def get(self, key: K) -> V | None:
        """The entry of ``key`` without creating it or changing the order."""
        return self._items.get(key)

    def pop(self, key: K) -> None:
        """Forget ``key``."""
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)
