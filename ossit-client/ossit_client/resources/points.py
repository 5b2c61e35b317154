"""Series points: ``/v1/api/points``."""

from __future__ import annotations

from ossit_schemas import KINDS, PAGE_SIZE_MAX

from .._pagination import Paginator
from ._resource import BatchWrites


class Points(BatchWrites):
    """The whole domain's points in one list, and all-or-nothing batch writes."""

    kind = KINDS["points"]

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
        return self._list(params)
