"""Input out of order: a record older than one already loaded for the same object is dropped.

A source writes each object's changes in the order they happened, so the last record of an
object is its state. A store between source and loader need not keep that order: PyAirbyte's
cache hands its tables over in its own row order, a warehouse table read back by a tap in
its own. Where an object can have two records under two ids -- a statistic purged and
created again under the same name, a group deleted and made again, an interval deleted and
sent again with the same ``external_id`` -- the tombstone of the old one may then come after
the live new one, and deleting by name would delete the new object.

So for those kinds the loader remembers, per object (its natural key), the latest
``updated_at`` it has loaded in this run, and drops a record older than that: what it says
was already superseded. A later change of an object whose earlier change is still in the
batch being filled takes its place (``writes.Batch.add``): re-sending a history that holds
a delete and a re-creation (a store sends its tables whole at every sync) then leaves the
destination untouched instead of deleting and creating the object again. Points are not
tracked: they are the volume, and one entry per point would grow with the input; their
records rely on the input's order, which a pipe from a source keeps (a point purged with
its statistic and set again under a statistic of the same name has a tombstone and a live
record under two ids: the tombstone comes first). Records without an ``updated_at`` (a
warehouse push) are loaded in input order. The memory is one entry per group, statistic and
interval loaded.
"""

from __future__ import annotations

from typing import Any

from ossit_schemas import KINDS, Kind

from ossit_sync.reading.position import api_timestamp

UNTRACKED = frozenset(("points",))
"""Kinds left to the input's order: the volume, one entry per object would grow with it."""


def natural_key(kind: Kind, item: dict[str, Any]) -> tuple[Any, ...]:
    """The object ``item`` (shaped) names: its kind's natural key, or its id when it is named
    by id (an interval copied back to its own domain)."""
    if all(field in item for field in kind.natural_key):
        return tuple(item[field] for field in kind.natural_key)
    return ("id", item["id"])


SUPERSEDED = ("superseded",)
"""What ``LatestChanges.observe`` answers for a record older than a loaded change."""


class LatestChanges:
    """The latest ``updated_at`` loaded per object of the tracked kinds, in this run."""

    def __init__(self) -> None:
        self._latest: dict[tuple[Any, ...], str] = {}

    def observe(
        self, kind: str, item: dict[str, Any], record: dict[str, Any]
    ) -> tuple[Any, ...] | None:
        """``SUPERSEDED`` when ``record`` (shaped as ``item``) is older than what was loaded
        for its object; else the object's key (None: not tracked), its change now the latest.
        """
        stamp = record.get("updated_at")
        if kind in UNTRACKED or not isinstance(stamp, str):
            return None
        try:
            moment = api_timestamp(stamp)  # one form: the inputs' spellings differ
        except ValueError:
            return None
        key = (kind, *natural_key(KINDS[kind], item))
        latest = self._latest.get(key)
        if latest is not None and latest > moment:
            return SUPERSEDED
        self._latest[key] = moment
        return key
