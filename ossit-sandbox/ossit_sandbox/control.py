"""The server's own knobs and counters: settings, rate limiter, faults, request stats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ossit_schemas import RATE_LIMIT_DEFAULT, RATE_LIMIT_WINDOW_SECONDS

from ossit_sandbox.bounded import LruDict
from ossit_sandbox.faults import Faults
from ossit_sandbox.ratelimit import RateLimiter


@dataclass(frozen=True)
class Settings:
    """The ``serve`` flags."""

    db: str
    rate_limit: int = RATE_LIMIT_DEFAULT
    rate_window: float = float(RATE_LIMIT_WINDOW_SECONDS)
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    fault_seed: int | None = None
    latency_ms: float = 0.0


@dataclass
class KeyStats:
    """What one key's /v1/api requests met (served, refused, faulted)."""

    requests: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    faults: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The body of GET /_sandbox/stats."""
        return {
            "requests": self.requests,
            "by_endpoint": dict(self.by_endpoint),
            "rate_limited": self.rate_limited,
            "faults": self.faults,
        }


class Control:
    """Everything the middleware and the /_sandbox endpoints share."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window)
        self.faults = Faults(settings.fail_rate, settings.drop_rate, settings.fault_seed)
        self._stats: LruDict[str, KeyStats] = LruDict()

    def stats(self, key: str) -> KeyStats:
        """The counters of a key (created on first use; see :mod:`ossit_sandbox.bounded`)."""
        return self._stats.get_or_create(key, KeyStats)

    def reset_stats(self, key: str) -> None:
        """Zero a key's counters and its rate-limit window."""
        self._stats.pop(key)
        self.limiter.reset_key(key)
