"""Statistics: ``/v1/api/statistics`` and ``/v1/api/statistics/{group}/{statistic}``."""

from __future__ import annotations

from typing import Any

from ossit_schemas import KINDS

from ._resource import KindResource, present

_ONE = "/statistics/{group}/{statistic}"


class Statistics(KindResource):
    """Statistics of groups, their latest value, and one day's value at a time."""

    kind = KINDS["statistics"]

    def get(self, group: str, name: str) -> dict[str, Any]:
        """One statistic with its latest value."""
        return self._client.request("GET", _ONE, path_params={"group": group, "statistic": name})

    def create(
        self,
        group: str,
        name: str,
        value: float | None = None,
        reference_date: str | None = None,
        unit: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """A new statistic; with ``value`` its first point too."""
        body = present(
            group=group,
            name=name,
            value=value,
            reference_date=reference_date,
            unit=unit,
            description=description,
        )
        return self._client.request("POST", self.kind.path, body=body)

    def update_metadata(
        self,
        group: str,
        name: str,
        new_name: str | None = None,
        unit: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Rename a statistic or change its unit/description (fields left None are unchanged)."""
        body = present(name=new_name, unit=unit, description=description)
        path_params = {"group": group, "statistic": name}
        return self._client.request("PUT", _ONE, path_params=path_params, body=body)

    def set_value(
        self,
        group: str,
        name: str,
        value: float | None,
        reference_date: str | None = None,
        method: str = "set",
    ) -> dict[str, Any]:
        """Change one day's value (``set``, ``increment``, ``decrement``, ``add``, ``subtract``)."""
        body = present(
            group=group, name=name, value=value, reference_date=reference_date, method=method
        )
        path_params = {"group": group, "statistic": name}
        return self._client.request("POST", _ONE, path_params=path_params, body=body)

    def delete_point(self, group: str, name: str, reference_date: str) -> dict[str, Any]:
        """Tombstone one day's point."""
        path_params = {"group": group, "statistic": name}
        params = {"reference_date": reference_date}
        return self._client.request("DELETE", _ONE, path_params=path_params, params=params)

    def purge(self, group: str, name: str) -> dict[str, Any]:
        """Tombstone the statistic and all its points."""
        path_params = {"group": group, "statistic": name}
        return self._client.request("DELETE", _ONE, path_params=path_params, params={"purge": True})
