"""Every kind of Ossit record, declared once: its name, list path, natural key, batch endpoint
and parent.

The tap's streams, the target's sinks, the client's resources, the loader's natural keys
and ``RECORD_TYPES`` (hence source-ossit's catalog and ossit-dlt's resources) are all made
from ``KINDS``, so adding a kind is its schema file, one entry here, its paths in the
OpenAPI document and its shaping rule in ``ossit_sync.loading.items`` (README.md, "Adding a
kind of record").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One kind of record, as the API serves and accepts it."""

    name: str
    """The record type: its schema is ``<name>.schema.json``, its stream and sink this name."""
    path: str
    """Its list, relative to ``/v1/api`` (``GET`` with ``updated_since``, oldest change first)."""
    natural_key: tuple[str, ...]
    """The fields of an API item that name one object across domains (ids do not)."""
    batch_endpoint: str | None
    """Where many are written at once (``POST``, relative to ``/v1/api``), or None: one call
    per item."""
    parent: str | None
    """The kind its records belong to, which a loader must apply first."""
    filters: tuple[str, ...]
    """Its list's own query filters, besides those every list takes (``LIST_FILTERS``)."""
    description: str
    """What a record is, for the docstrings of the classes made from this entry."""


LIST_FILTERS = ("updated_since", "include_deleted", "limit")
"""What every list takes besides its page's ``cursor``: changed since, tombstones, page size."""

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="statistic_groups",
            path="/statistic-groups",
            natural_key=("name",),
            batch_endpoint=None,
            parent=None,
            filters=(),
            description="Statistic groups",
        ),
        Kind(
            name="statistics",
            path="/statistics",
            natural_key=("group", "name"),
            batch_endpoint=None,
            parent="statistic_groups",
            filters=("group",),
            description="Statistics with their latest value",
        ),
        Kind(
            name="points",
            path="/points",
            natural_key=("group", "statistic", "reference_date"),
            batch_endpoint="/points/batch",
            parent="statistics",
            filters=("group", "statistic", "from_date", "to_date"),
            description="Series points of the whole domain, never one list per statistic",
        ),
        Kind(
            name="intervals",
            path="/intervals",
            natural_key=("external_id",),
            batch_endpoint="/intervals/batch",
            parent="statistic_groups",
            filters=("group", "type"),
            description="Intervals: runs, batches, states and custom spans",
        ),
    )
}
"""The kinds, each after its parent: the order a loader applies them in."""


def _parents_first(kinds: dict[str, Kind]) -> tuple[str, ...]:
    """The kinds' names in declaration order, refused if a kind comes before its parent."""
    seen: list[str] = []
    for kind in kinds.values():
        if kind.parent is not None and kind.parent not in seen:
            raise ValueError(f"kind {kind.name!r}: declare its parent {kind.parent!r} before it")
        seen.append(kind.name)
    return tuple(seen)


RECORD_TYPES: tuple[str, ...] = _parents_first(KINDS)
"""The record types, in the order a loader must apply them (parents first)."""
