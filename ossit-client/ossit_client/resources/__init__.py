"""One module per API noun; each method builds a path and parameters and calls the client.

``RESOURCES`` has one resource per kind of ``ossit_schemas.KINDS``: a kind's own module where
it has one, else one made from its declaration (its list, and its batch write if it has an
endpoint for it).
"""

from __future__ import annotations

from ossit_schemas import KINDS, Kind

from ._resource import BatchWrites, KindResource, Listing
from .intervals import Intervals
from .points import Points
from .statistic_groups import StatisticGroups
from .statistics import Statistics

_OWN: dict[str, type[KindResource]] = {
    resource.kind.name: resource for resource in (StatisticGroups, Statistics, Points, Intervals)
}


def _declared(kind: Kind) -> type[KindResource]:
    """The resource of a kind without a module: ``Listing``, with ``BatchWrites`` if it can."""
    bases = (Listing, BatchWrites) if kind.batch_endpoint else (Listing,)
    class_name = "".join(part.title() for part in kind.name.split("_"))
    return type(class_name, bases, {"kind": kind, "__doc__": kind.description})


RESOURCES: dict[str, type[KindResource]] = {
    name: _OWN.get(name) or _declared(kind) for name, kind in KINDS.items()
}
"""The resource of each kind, parents first: ``OssitClient`` has one attribute per entry."""

__all__ = ["RESOURCES", "Intervals", "Points", "StatisticGroups", "Statistics"]
