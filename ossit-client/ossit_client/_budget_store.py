"""Where the shared request budget lives: this machine's file, or a Redis shared by machines.

``Throttle`` and ``BaseClient`` speak to either through ``BudgetStore``; ``open_budget`` picks
one. Unset ``budget_url`` (and ``$OSSIT_BUDGET_URL``): the budget file of ``_state_file``,
shared by the processes of one machine, exactly as before. Set: ``_redis_budget.RedisBudget``,
shared by every process on any machine that uses the same Redis, with the same rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pyrate_limiter import Decision, Rate, RateItem

from ._budget_url import check_budget_url, resolve_budget_url
from ._origin import Origin
from ._redis_budget import RedisBudget
from ._server_count import ServerCount
from ._state_file import StateFile, state_file_path


class BudgetStore(Protocol):
    """What the throttle and the request loop need of a shared budget; instants in epoch ms.

    Every instant comes from the store's own clock (``now_ms``): the machine's for the file,
    the Redis server's (``TIME``) for Redis, so machines whose clocks differ still agree.
    """

    @property
    def interval_ms(self) -> int:
        """The counted window (the server's plus the safety margin)."""
        ...

    def now_ms(self) -> int: ...
    def decide(self, item: RateItem, last_seen: ServerCount | None = None) -> Decision:
        """Log ``item`` if the window has room, else say how long until it has; a store that
        lost its log since it was opened rebuilds it from ``last_seen`` first."""
        ...

    def leak(self) -> None: ...
    def restamp(self, name: str, timestamp_ms: int) -> None: ...
    def top_up(self, count: int, since_ms: int, timestamp_ms: int) -> int: ...
    def cap_timestamps(self, latest_ms: int) -> None: ...
    def pause_until_ms(self) -> int: ...
    def extend_pause(self, until_ms: int) -> None: ...
    def cap_pause(self, until_ms: int) -> None: ...
    def is_gone(self, endpoint: str) -> bool: ...
    def mark_gone(self, endpoint: str) -> None: ...
    def close(self) -> None: ...


def open_budget(
    origin: Origin,
    rate: Rate,
    *,
    state_dir: str | Path | None,
    budget_url: str | None,
) -> BudgetStore:
    """The budget of one domain on one server: in Redis if a budget URL is set, else in a file.

    Either is named by the origin's domain, derived from the key and the server in one
    spelling, so every spelling of one server's URL shares one budget; never by the key.
    """
    url = resolve_budget_url(budget_url)
    if url is None:
        return StateFile(state_file_path(origin, state_dir), rate)
    return RedisBudget(check_budget_url(url), origin.domain, rate)
