"""What the client did, for the connectors to log at the end of a run."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counters:
    """Totals since the client was created; safe to update from several threads.

    ``requests`` counts attempts sent (retries included); ``retries_by_reason`` is keyed by
    ``"timeout"``, ``"connection"`` or the status code as a string (``"429"``, ``"503"``);
    ``throttled_seconds`` is time spent waiting for the shared budget (including 429 pauses);
    ``retry_wait_seconds`` is time slept between attempts for other reasons; ``rate_limited``
    counts 429 answers seen; ``replayed`` counts writes the API answered with the stored
    answer of an earlier request with the same Idempotency-Key (``Idempotent-Replayed``)
    and did not apply again, other than this client's own retries of a lost answer.
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
            return Counters(
                self.requests,
                Counter(self.retries_by_reason),
                self.throttled_seconds,
                self.retry_wait_seconds,
                self.rate_limited,
                self.replayed,
            )

    def __sub__(self, earlier: Counters) -> Counters:
        """What was counted since ``earlier`` (a ``copy`` of these counters taken before)."""
        now = self.copy()
        return Counters(
            now.requests - earlier.requests,
            now.retries_by_reason - earlier.retries_by_reason,
            now.throttled_seconds - earlier.throttled_seconds,
            now.retry_wait_seconds - earlier.retry_wait_seconds,
            now.rate_limited - earlier.rate_limited,
            now.replayed - earlier.replayed,
        )

    @property
    def retries(self) -> int:
        """All retries, whatever the reason."""
        return sum(self.retries_by_reason.values())

    def as_dict(self) -> dict[str, Any]:
        """A plain snapshot, e.g. for a log line or a Singer metric."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries_by_reason": dict(self.retries_by_reason),
                "throttled_seconds": round(self.throttled_seconds, 3),
                "retry_wait_seconds": round(self.retry_wait_seconds, 3),
                "rate_limited": self.rate_limited,
                "replayed": self.replayed,
            }
