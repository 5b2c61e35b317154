"""``RESOURCES``: one resource per kind of ``ossit_schemas.KINDS``, from its own module where
it has calls of its own, else made from its declaration."""

from __future__ import annotations

from ossit_schemas import KINDS, Kind

from ._resource import BatchWrites, KindResource
from .intervals import Intervals
from .statistic_groups import StatisticGroups
from .statistics import Statistics

_OWN = {resource.kind.name: resource for resource in (StatisticGroups, Statistics, Intervals)}


def _declared(kind: Kind) -> type[KindResource]:
    """The resource of a kind without a module: its list, and its batch write if it has one."""
    base = BatchWrites if kind.batch_endpoint else KindResource
    class_name = "".join(part.title() for part in kind.name.split("_"))
    return type(class_name, (base,), {"kind": kind, "__doc__": kind.description})


RESOURCES: dict[str, type[KindResource]] = {
    name: _OWN.get(name) or _declared(kind) for name, kind in KINDS.items()
}
"""The resource of each kind, parents first: ``OssitClient`` has one attribute per entry."""

__all__ = ["RESOURCES", "BatchWrites", "Intervals", "StatisticGroups", "Statistics"]
