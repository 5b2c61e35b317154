"""Statistic groups: ``/v1/api/statistic-groups``."""

from __future__ import annotations

from typing import Any

from ossit_schemas import KINDS

from ._resource import KindResource, present

_ONE = "/statistic-groups/{group}"


class StatisticGroups(KindResource):
    """List, read, create, update and delete statistic groups (``group`` is a name or an id)."""

    kind = KINDS["statistic_groups"]

    def get(self, group: str) -> dict[str, Any]:
        """One group."""
        return self._client.request("GET", _ONE, path_params={"group": group})

    def create(self, name: str, description: str | None = None) -> dict[str, Any]:
        """A new group."""
        body = present(name=name, description=description)
        return self._client.request("POST", self.kind.path, body=body)

    def update(
        self, group: str, name: str | None = None, description: str | None = None
    ) -> dict[str, Any]:
        """Rename and/or describe a group (fields left None are unchanged)."""
        body = present(name=name, description=description)
        return self._client.request("PUT", _ONE, path_params={"group": group}, body=body)

    def delete(self, group: str) -> dict[str, Any]:
        """Tombstone a group and everything in it."""
        return self._client.request("DELETE", _ONE, path_params={"group": group})
