"""What the target knows about the destination domain's groups and statistics.

Groups and statistics are few, so the target reads them once (a request per thousand)
and then writes only what differs: loading the same input twice sends no group or
statistic write the second time.  It also remembers the groups and statistics deleted
during the run: their points and intervals went with them (the API cascades), so the
tombstones of those children need no request, and sending them with ``create_missing``
must not bring a deleted parent back.
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
        self._deleted_groups: set[str] = set()
        self._deleted_statistics: set[StatisticKey] = set()

    def group(self, name: str) -> dict[str, Any] | None:
        """The live group of that name, or None."""
        if self._groups is None:
            self._groups = {g["name"]: g for g in self._client().statistic_groups.list()}
        return self._groups.get(name)

    def statistic(self, key: StatisticKey) -> dict[str, Any] | None:
        """The live statistic (group name, statistic name), or None."""
        if self._statistics is None:
            listed = self._client().statistics.list()
            self._statistics = {(s["group"], s["name"]): s for s in listed}
        return self._statistics.get(key)

    def remember_group(self, group: dict[str, Any]) -> None:
        """Record a group as written (created or updated)."""
        if self._groups is not None:
            self._groups[group["name"]] = group
        self._deleted_groups.discard(group["name"])

    def remember_statistic(self, statistic: dict[str, Any]) -> None:
        """Record a statistic as written (created or updated)."""
        key = (statistic["group"], statistic["name"])
        if self._statistics is not None:
            self._statistics[key] = statistic
        self._deleted_statistics.discard(key)

    def forget_group(self, name: str) -> None:
        """Record a group, and with it its statistics, as deleted."""
        if self._groups is not None:
            self._groups.pop(name, None)
        if self._statistics is not None:
            for key in [key for key in self._statistics if key[0] == name]:
                del self._statistics[key]
        self._deleted_groups.add(name)

    def forget_statistic(self, key: StatisticKey) -> None:
        """Record a statistic as deleted."""
        if self._statistics is not None:
            self._statistics.pop(key, None)
        self._deleted_statistics.add(key)

    def deleted_with_parent(self, group: str, statistic: str | None = None) -> bool:
        """Whether deleting that group or statistic in this run already deleted its child."""
        return group in self._deleted_groups or (group, statistic) in self._deleted_statistics
