"""Series points: ``/v1/api/points``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from ossit_schemas import PAGE_SIZE_MAX

from .._pagination import Paginator
from ._resource import Resource


class Points(Resource):
    """The whole domain's points in one list, and all-or-nothing batch writes."""

    def list(
        self,
        *,
        group: str | None = None,
        statistic: str | None = None,
        from_date: str | None = None,
        to_date: str | None = None,
        updated_since: str | None = None,
        include_deleted: bool = False,
        limit: int = PAGE_SIZE_MAX,
    ) -> Paginator:
        """Every point (filtered as given), oldest change first."""
        params = {
            "group": group,
            "statistic": statistic,
            "from_date": from_date,
            "to_date": to_date,
            "updated_since": updated_since,
            "include_deleted": include_deleted,
            "limit": limit,
        }
        return self._client.paginate("/points", params)

    def batch(
        self,
        items: Sequence[dict[str, Any]],
        create_missing: bool = False,
        *,
        idempotency_key: str | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Apply up to 1000 point writes at once (all or nothing); returns the resulting points.

        ``idempotency_key`` names the batch for the API's 24 h replay protection (a fresh
        one per call when None).
        """
        body = {"points": list(items), "create_missing": create_missing}
        return self._client.request_records(
            "POST", "/points/batch", body=body, idempotency_key=idempotency_key
        )
