"""What the loader knows about the destination domain's groups and statistics.

Groups and statistics are few, so the loader reads them once (a request per thousand)
and then writes only what differs: loading the same input twice sends no group or
statistic write the second time.  A group or statistic the loader deletes leaves the
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

from ossit_client import ConflictError, NotFoundError, OssitClient

from ossit_sync.loading.items import Item, statistic_metadata

StatisticKey = tuple[str, str]


class Destination:
    """The destination's live groups and statistics (read on first use) and the writes
    that make them match an item: each decision sits beside the cache it reads.
    """

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

    # -- decisions -------------------------------------------------------------------------

    def apply_group(self, item: Item) -> None:
        """Create, update, delete or leave alone the group of the item's name."""
        groups, name = self._client().statistic_groups, item["name"]
        current = self.group(name)
        if item["delete"]:
            if current is not None:  # else never loaded, or deleted before: as wanted
                _delete_unless_gone(groups.delete, current["id"])
            self.forget_group(name)
            return
        # A null description cannot be sent (the client leaves None fields unchanged).
        description = item.get("description")
        if current is None:
            try:
                current = groups.create(name, description=description)
            except ConflictError as exc:  # created since the cache was read?
                current = self._created_meanwhile(exc, lambda: self.group(name))
        if description is not None and current.get("description") != description:
            current = groups.update(current["id"], description=description)
        self.remember_group(current)

    def apply_statistic(self, item: Item) -> None:
        """Create, update, purge or leave alone the statistic of the item's group and name."""
        statistics, key = self._client().statistics, (item["group"], item["name"])
        current = self.statistic(key)
        if item["delete"]:
            if current is not None:  # else never loaded, or deleted before: as wanted
                _delete_unless_gone(statistics.purge, current["group_id"], current["id"])
            self.forget_statistic(key)
            return
        metadata = statistic_metadata(item)
        if current is None:
            self._ensure_group(item["group"])
            try:
                current = statistics.create(*key, **metadata)
            except ConflictError as exc:  # created since the cache was read?
                current = self._created_meanwhile(exc, lambda: self.statistic(key))
        if any(current.get(name) != value for name, value in metadata.items()):
            current = statistics.update_metadata(current["group_id"], current["id"], **metadata)
        self.remember_statistic(current)

    def _ensure_group(self, name: str) -> None:
        """Create the parent group when the destination lacks it (a statistic needs one)."""
        if self.group(name) is None:
            try:
                self.remember_group(self._client().statistic_groups.create(name))
            except ConflictError:  # created meanwhile by create_missing: fine
                self.may_have_changed()

    def _created_meanwhile(
        self, conflict: ConflictError, look_up: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """After a 409 on create: the object created since the cache was read (by a
        ``create_missing`` batch); if there is none, the 409 meant something else.
        """
        self.may_have_changed()
        current = look_up()
        if current is None:
            raise conflict
        return current


def _delete_unless_gone(delete: Callable[..., Any], *ids: str) -> None:
    """Delete; a 404 saying the object is gone (code ``not_found``) is what was wanted.

    Any other 404 (no such endpoint: a wrong base URL) is an error to report.
    """
    try:
        delete(*ids)
    except NotFoundError as exc:
        if exc.code != "not_found":
            raise
