"""Intervals: ``/v1/api/intervals``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from ossit_schemas import PAGE_SIZE_MAX

from .._pagination import Paginator
from ._resource import Resource

_ONE = "/intervals/{id}"


class Intervals(Resource):
    """Periods of time on a group: list, read, write one, upsert many."""

    def list(
        self,
        *,
        group: str | None = None,
        type: str | None = None,
        updated_since: str | None = None,
        include_deleted: bool = False,
        limit: int = PAGE_SIZE_MAX,
    ) -> Paginator:
        """Every interval (filtered as given), oldest change first."""
        params = {
            "group": group,
            "type": type,
            "updated_since": updated_since,
            "include_deleted": include_deleted,
            "limit": limit,
        }
        return self._client.paginate("/intervals", params)

    def get(self, id: str) -> dict[str, Any]:
        """One interval."""
        return self._client.request("GET", _ONE, path_params={"id": id})

    def create(self, **fields: Any) -> dict[str, Any]:
        """A new interval (or, with a known ``external_id``, an update of that one)."""
        return self._client.request("POST", "/intervals", body=fields)

    def update(self, id: str, **fields: Any) -> dict[str, Any]:
        """Change the given fields of one interval."""
        return self._client.request("PUT", _ONE, path_params={"id": id}, body=fields)

    def delete(self, id: str) -> dict[str, Any]:
        """Tombstone one interval."""
        return self._client.request("DELETE", _ONE, path_params={"id": id})

    def batch(
        self,
        items: Sequence[dict[str, Any]],
        create_missing: bool = False,
        *,
        idempotency_key: str | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Upsert up to 1000 intervals by ``id`` or ``external_id`` (all or nothing).

        ``idempotency_key`` as in ``Points.batch``.
        """
        body = {"intervals": list(items), "create_missing": create_missing}
        return self._client.request_records(
            "POST", "/intervals/batch", body=body, idempotency_key=idempotency_key
        )
