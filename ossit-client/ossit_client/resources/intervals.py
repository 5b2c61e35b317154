"""Intervals: ``/v1/api/intervals``."""

from __future__ import annotations

from typing import Any

from ossit_schemas import KINDS

from ._resource import BatchWrites

_ONE = "/intervals/{id}"


class Intervals(BatchWrites):
    """Periods of time on a group: list, read, write one, upsert many (by ``id`` or
    ``external_id``)."""

    kind = KINDS["intervals"]

    def get(self, id: str) -> dict[str, Any]:
        """One interval."""
        return self._client.request("GET", _ONE, path_params={"id": id})

    def create(self, **fields: Any) -> dict[str, Any]:
        """A new interval (or, with a known ``external_id``, an update of that one)."""
        return self._client.request("POST", self.kind.path, body=fields)

    def update(self, id: str, **fields: Any) -> dict[str, Any]:
        """Change the given fields of one interval."""
        return self._client.request("PUT", _ONE, path_params={"id": id}, body=fields)

    def delete(self, id: str) -> dict[str, Any]:
        """Tombstone one interval."""
        return self._client.request("DELETE", _ONE, path_params={"id": id})
