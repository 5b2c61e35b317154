"""Shaping records into the API's items, one rule per kind of record.

A record is shaped as it arrives, so a record that lacks a field its kind needs fails on
its own input line, not later with the batch that carries it.  Items of points and
intervals go to the batch endpoints; items of groups and statistics are applied one by
one by the ``Destination``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ossit_client import Origin
from ossit_schemas import ORIGIN_FIELD, values

from ossit_sync.loading.errors import InvalidRecordError

Item = dict[str, Any]
Record = dict[str, Any]

_INTERVAL_OPTIONAL = ("statistic", "name", "end", "metadata")
DERIVED_PREFIX = "ossit:"
"""How an ``external_id`` derived for an interval without one begins (see ``interval_identity``)."""
_STATISTIC_METADATA = ("unit", "description")


def shape(kind: str, record: Record, *, stream: str, destination: Origin) -> Item:
    """The API item that writes (or deletes) what ``record`` describes in ``destination``.

    A missing field the kind needs is an ``InvalidRecordError`` naming it and ``stream``.
    """
    try:
        if kind == "intervals":
            return _interval(record, stream, destination)
        return _SHAPERS[kind](record, stream)
    except KeyError as exc:
        msg = f"a record of kind '{kind}' needs this field"
        raise InvalidRecordError(msg, stream=stream, field=str(exc.args[0])) from None


def _deleted(record: Record) -> bool:
    return record.get("deleted_at") is not None


def _group(record: Record, stream: str) -> Item:
    """The group's name, its description when the record has one, and whether deleted."""
    item: Item = {"name": record["name"], "delete": _deleted(record)}
    if "description" in record:
        item["description"] = record["description"]
    return item


def _statistic(record: Record, stream: str) -> Item:
    """The statistic's key, the metadata the record has, and whether deleted.

    Its ``value`` and ``reference_date`` are the latest point's; points set them.
    """
    item: Item = {"group": record["group"], "name": record["name"], "delete": _deleted(record)}
    for name in _STATISTIC_METADATA:
        if name in record:
            item[name] = record[name]
    return item


def _point(record: Record, stream: str) -> Item:
    """A ``set`` item (or the record's ``method``), or a ``delete`` item."""
    group, statistic, day = record["group"], record["statistic"], record["reference_date"]
    if _deleted(record):
        return {"group": group, "statistic": statistic, "reference_date": day, "delete": True}
    value = record["value"]
    return {
        "group": group,
        "statistic": statistic,
        "reference_date": day,
        "value": None if value is None else _number(value, stream),
        "method": record.get("method") or "set",
    }


def _number(value: object, stream: str) -> float:
    """A point's value as the API stores it (a double), kept exactly or refused here, on
    its own input line, by the contract's rule (``ossit_schemas.values``).

    Text stands for a number (CSV sources give every value as text) only in JSON's number
    syntax: ``float()`` also takes ``1_000``, surrounding blanks, ``+5``, ``inf``/``nan``
    and digits of every script, none of which the API would store the same way.
    """
    try:
        return values.double(values.parse_number(value) if type(value) is str else value)
    except ValueError as exc:
        raise InvalidRecordError(str(exc), stream=stream, field="value") from None


def _interval(record: Record, stream: str, destination: Origin) -> Item:
    """An upsert of the interval the record names in ``destination``, or a delete."""
    identity = interval_identity(record, stream, destination)
    group = record["group"]
    if _deleted(record):
        return {**identity, "group": group, "delete": True}
    item = {
        **identity,
        "group": group,
        "type": record["type"],
        "start": record["start"],
    }
    for name in _INTERVAL_OPTIONAL:
        if name in record:
            item[name] = record[name]
    for name in ("start", "end"):  # refused on their own line, not with a later batch
        if item.get(name) is not None:
            try:
                values.parse_timestamp(item[name])
            except ValueError as exc:
                raise InvalidRecordError(str(exc), stream=stream, field=name) from None
    if "metadata" in record:
        _check_encodable(record["metadata"], stream)
    return item


def interval_identity(record: Record, stream: str, destination: Origin) -> Item:
    """How ``destination`` names the interval ``record`` describes: ``{"external_id"}``, or
    ``{"id"}`` for one of its own intervals.

    An ``external_id`` names one interval in every domain (the user's name for it, or one
    a copy derived). An interval without one is named by its origin and its id there:
    ``ossit:<origin domain>:<id>``, a name no other domain's interval can derive, so chained
    copies, copies from several servers and copies back keep every interval apart. Such a
    name derived from the destination itself (an interval copied out and back) is that
    very interval: it is written by its id.
    """
    external_id = record.get("external_id")
    if external_id:
        own_id = _own_interval_id(external_id, destination)
        return {"id": own_id} if own_id else {"external_id": external_id}
    origin = Origin.parse(record.get(ORIGIN_FIELD))
    source_id = record.get("id")
    if origin is None or not isinstance(source_id, str) or not source_id:
        msg = (
            "an interval needs an external_id, or the id and the "
            f"{ORIGIN_FIELD} of the domain it was read from (as tap-ossit and source-ossit "
            "write them): an id alone names different intervals in different domains"
        )
        raise InvalidRecordError(msg, stream=stream, field="external_id")
    if origin == destination:
        return {"id": source_id}
    return {"external_id": f"{DERIVED_PREFIX}{origin.domain}:{source_id}"}


def _own_interval_id(external_id: str, destination: Origin) -> str | None:
    """The id in ``destination`` that a derived ``external_id`` names, if it names one."""
    own = f"{DERIVED_PREFIX}{destination.domain}:"
    return external_id[len(own) :] or None if external_id.startswith(own) else None


def _check_encodable(metadata: object, stream: str) -> None:
    """Refuse metadata the request could not carry or the API could not keep exactly, on
    its own input line.

    Metadata is free-form JSON; a number the API would not keep (an integer beyond 64
    bits, see ``ossit_schemas.values``) or what JSON encoding refuses (nesting deeper than
    the encoder follows) would otherwise fail later, for the whole batch.
    """
    if (problem := values.json_problem(metadata)) is not None:
        path, reason = problem
        field = f"metadata.{path}" if path else "metadata"
        raise InvalidRecordError(reason, stream=stream, field=field)
    try:
        values.dumps(metadata)
    except (TypeError, ValueError) as exc:
        msg = f"cannot be sent as JSON ({exc})"
        raise InvalidRecordError(msg, stream=stream, field="metadata") from None


def statistic_metadata(item: Item) -> dict[str, Any]:
    """The metadata a statistic item sets (a null cannot be sent: the API keeps it)."""
    return {key: item[key] for key in _STATISTIC_METADATA if item.get(key) is not None}


_SHAPERS: dict[str, Callable[[Record, str], Item]] = {
    "statistic_groups": _group,
    "statistics": _statistic,
    "points": _point,
}
"""The kinds whose items need nothing but the record (an interval needs its destination)."""
