"""What the target knows about the destination domain's groups and statistics.

Groups and statistics are few, so the target reads them once (a request per thousand)
and then writes only what differs: loading the same input twice sends no group or
statistic write the second time.  A group or statistic the target deletes leaves the
cache with its children (the API cascades).  Tombstones of points and intervals go to the
batch endpoints whatever the cache says: a delete item whose parent is missing is a no-op
there, ``create_missing`` never brings a deleted parent back.

Every update or delete goes through an object the cache matched BY NAME, and names it by
its id in the path: a name the destination lacks never reaches a path, where the API
could read it as another object's id. Batches sent with ``create_missing`` may create
groups and statistics the cache has not seen, so after one the cache is marked stale,
and a name it then misses is looked up again (one list) before it counts as absent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ossit_client import OssitClient

StatisticKey = tuple[str, str]


class Destination:
    """A cache of the destination's live groups and statistics, read on first use."""

    def __init__(self, client: Callable[[], OssitClient]) -> None:
        self._client = client
        self._groups: dict[str, dict[str, Any]] | None = None
        self._statistics: dict[StatisticKey, dict[str, Any]] | None = None
        self._stale = False

    def group(self, name: str) -> dict[str, Any] | None:
        """The live group of that name, or None."""
        if self._groups is None or (name not in self._groups and self._reload()):
            self._groups = {g["name"]: g for g in self._client().statistic_groups.list()}
        return self._groups.get(name)

    def statistic(self, key: StatisticKey) -> dict[str, Any] | None:
        """The live statistic (group name, statistic name), or None."""
        if self._statistics is None or (key not in self._statistics and self._reload()):
            listed = self._client().statistics.list()
            self._statistics = {(s["group"], s["name"]): s for s in listed}
        return self._statistics.get(key)

    def may_have_changed(self) -> None:
        """A write may have created groups or statistics (``create_missing``)."""
        self._stale = True

    def _reload(self) -> bool:
        """Whether a miss must be read again: the cache may lack what was created since.

        Both caches are then read again, so the flag clears once for both.
        """
        if not self._stale:
            return False
        self._stale = False
        self._groups = self._statistics = None
        return True

    def remember_group(self, group: dict[str, Any]) -> None:
        """Record a group as written (created or updated)."""
        if self._groups is not None:
            self._groups[group["name"]] = group

    def remember_statistic(self, statistic: dict[str, Any]) -> None:
        """Record a statistic as written (created or updated)."""
        key = (statistic["group"], statistic["name"])
        if self._statistics is not None:
            self._statistics[key] = statistic

    def forget_group(self, name: str) -> None:
        """Record a group, and with it its statistics, as deleted."""
        if self._groups is not None:
            self._groups.pop(name, None)
        if self._statistics is not None:
            for key in [key for key in self._statistics if key[0] == name]:
                del self._statistics[key]

    def forget_statistic(self, key: StatisticKey) -> None:
        """Record a statistic as deleted."""
        if self._statistics is not None:
            self._statistics.pop(key, None)
