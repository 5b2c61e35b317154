"""What the client did, for the connectors to log at the end of a run."""

from __future__ import annotations

import copy
import threading
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Counters:
    """Totals since the client was created; safe to update from several threads.

    ``requests``: attempts sent; ``retries_by_reason``: by ``"timeout"``, ``"connection"`` or
    status (``"429"``); ``throttled_seconds``: waiting for the budget (429 pauses included);
    ``retry_wait_seconds``: other waits between attempts; ``rate_limited``: 429s seen;
    ``replayed``: writes the API answered from an earlier request with the same
    Idempotency-Key (not this client's own retries) and did not apply again.
    """

    requests: int = 0
    retries_by_reason: Counter[str] = field(default_factory=Counter)
    throttled_seconds: float = 0.0
    retry_wait_seconds: float = 0.0
    rate_limited: int = 0
    replayed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: float) -> None:
        """Add to the named numeric totals under the lock."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def retried(self, reason: str) -> None:
        """Count one retry for ``reason``."""
        with self._lock:
            self.retries_by_reason[reason] += 1

    def copy(self) -> Counters:
        """The totals as they are now, in an object of their own (e.g. to subtract later)."""
        with self._lock:
            return Counters(*(copy.copy(getattr(self, name)) for name in _TOTALS))

    def __sub__(self, earlier: Counters) -> Counters:
        """What was counted since ``earlier`` (a ``copy`` of these counters taken before)."""
        now = self.copy()
        return Counters(*(getattr(now, name) - getattr(earlier, name) for name in _TOTALS))

    @property
    def retries(self) -> int:
        """All retries, whatever the reason."""
        return sum(self.retries_by_reason.values())

    def as_dict(self) -> dict[str, Any]:
        """A plain snapshot, e.g. for a log line or a Singer metric."""
        now = self.copy()
        values = {name: getattr(now, name) for name in _TOTALS}
        values["retries_by_reason"] = dict(now.retries_by_reason)
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}


_TOTALS = [option.name for option in fields(Counters) if option.init and option.repr]
