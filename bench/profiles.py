"""The sizes of a benchmark run: the full one (1M points) and the CI smoke one (10k)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DomainShape:
    """Arguments of `ossit-sandbox generate`; points = groups * statistics * days."""

    groups: int
    statistics: int
    days: int
    intervals: int

    @property
    def points(self) -> int:
        return self.groups * self.statistics * self.days


@dataclass(frozen=True)
class RateLimitCase:
    """A sync that needs several windows of a compressed rate budget."""

    shape: DomainShape
    page_size: int
    limit: int
    window_s: float


@dataclass(frozen=True)
class Profile:
    """Everything that differs between a full run and a smoke run.

    The full run's repeats keep it under 15 minutes on a loaded 2-core machine: a 1M-point
    load is bound by the sandbox's write rate (minutes each), so the target runs once.
    """

    name: str
    big: DomainShape
    small: DomainShape
    rate_limit: RateLimitCase
    write_batches: int
    tap_repeats: int
    sdk_repeats: int
    target_repeats: int


ALL = Profile(
    name="all",
    big=DomainShape(groups=10, statistics=100, days=1000, intervals=1000),
    small=DomainShape(groups=10, statistics=100, days=100, intervals=100),
    rate_limit=RateLimitCase(
        shape=DomainShape(groups=2, statistics=10, days=1000, intervals=50),
        page_size=100,
        limit=60,
        window_s=6.0,
    ),
    write_batches=100,
    tap_repeats=3,
    sdk_repeats=1,
    target_repeats=1,
)

SMOKE = Profile(
    name="smoke",
    big=DomainShape(groups=2, statistics=10, days=500, intervals=20),
    small=DomainShape(groups=2, statistics=10, days=50, intervals=5),
    rate_limit=RateLimitCase(
        shape=DomainShape(groups=1, statistics=5, days=100, intervals=5),
        page_size=50,
        limit=5,
        window_s=1.0,
    ),
    write_batches=10,
    tap_repeats=1,
    sdk_repeats=1,
    target_repeats=1,
)

PROFILES = {profile.name: profile for profile in (ALL, SMOKE)}
