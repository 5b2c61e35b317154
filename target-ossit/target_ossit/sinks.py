"""One sink per kind of Ossit record; every sink follows the same recipe.

A record is shaped into the API's item as it arrives (``shape``), so a record that
lacks a field its kind needs fails on its own input line.  ``process_batch`` hands the
staged items to the target, whose one sender thread calls ``send`` for each batch in
input order while the next batch is read; the target passes a STATE message on once
the batches before it are acknowledged.  Points and intervals go through the batch
endpoints, a thousand per request; groups and statistics are few and are written one
call each, and only when the destination differs.  ``send`` runs on the sender thread,
the only one that touches the client and the ``Destination`` cache.
"""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from ossit_client import (
    APIStatusError,
    ConflictError,
    NotFoundError,
    OssitError,
    UnprocessableEntityError,
)
from singer_sdk.sinks import BatchSink

from target_ossit.errors import InputError, InvalidRecordError, LoadError, MissingKeyError
from target_ossit.replay import batch_key, needs_stable_key
from target_ossit.validation import FastValidator

if TYPE_CHECKING:
    from target_ossit.target import TargetOssit

Item = dict[str, Any]

_SDC_FIELDS = frozenset(
    (
        "_sdc_extracted_at",
        "_sdc_received_at",
        "_sdc_batched_at",
        "_sdc_deleted_at",
        "_sdc_sequence",
        "_sdc_table_version",
        "_sdc_sync_started_at",
    )
)


class OssitSink(BatchSink):
    """The recipe shared by every kind: shape on arrival, stage, send as a batch."""

    kind: ClassVar[str]

    def __init__(
        self,
        target: TargetOssit,
        stream_name: str,
        schema: dict,
        key_properties: Sequence[str] | None,
    ) -> None:
        self._target = target
        super().__init__(target, stream_name, schema, key_properties)
        self._process_deletes = target.config.get("process_deletes") is not False

    @property
    def max_size(self) -> int:
        """Records per batch: the ``batch_size`` setting (at most the API's 1000)."""
        return self._target.batch_size

    def get_validator(self) -> FastValidator | None:
        """A compiled validator: same checks as the SDK's, a fraction of the time."""
        return FastValidator(self.schema, stream=self.stream_name) if self.validate_schema else None

    def _validate_and_parse(self, record: dict) -> dict:
        # The SDK's version also turns date strings into datetime objects, which the API
        # wants back as the same strings; the validator has checked their format.
        if self._validator is not None:
            self._validator.validate(record)
        return record

    def _remove_sdc_metadata_from_record(self, record: dict) -> None:
        # Same effect as the SDK's seven pops, at the cost of one check for most records.
        if not _SDC_FIELDS.isdisjoint(record):
            super()._remove_sdc_metadata_from_record(record)

    def _singer_validate_message(self, record: dict) -> None:
        for name in self.key_properties:
            if name not in record:
                msg = f"key property missing (key properties: {list(self.key_properties)})"
                raise MissingKeyError(msg, stream=self.stream_name, field=name)

    def start_batch(self, context: dict) -> None:
        """A batch is the API items to send and the input line of each."""
        context["items"] = []
        context["lines"] = []

    def process_record(self, record: dict, context: dict) -> None:
        """Shape the record into its API item and stage it with its input line."""
        self._target.keep_input_order(self)
        if not self._process_deletes and record.get("deleted_at") is not None:
            return
        try:
            item = self.shape(record)
        except KeyError as exc:
            msg = f"a record of kind '{self.kind}' needs this field"
            raise InvalidRecordError(msg, stream=self.stream_name, field=str(exc.args[0])) from None
        context["items"].append(item)
        context["lines"].append(self._target.line_number)

    def process_batch(self, context: dict) -> None:
        """Hand the staged items to the target's sender, which sends them in input order.

        The batch's position since the last STATE is taken here, on the reading thread,
        in input order (see ``replay``).
        """
        items: list[Item] = context.get("items", [])
        lines: list[int] = context.get("lines", [])
        if items:
            position = self._target.next_batch_position()
            self._target.submit(partial(self._send_located, items, lines, position))

    def _send_located(self, items: list[Item], lines: list[int], position: int) -> None:
        """``send``, with any failure blamed on this batch's stream and input lines.

        The error is raised again on the reading thread while it handles a later line
        (or another stream), so it must carry its own location or it would name that one.
        """
        try:
            self.send(items, lines, position)
        except InputError:
            raise
        except Exception as exc:
            where = (
                f"input line {lines[0]}"
                if len(lines) == 1
                else f"input lines {lines[0]} to {lines[-1]}"
            )
            reason = f"sending the batch of {where} failed: {type(exc).__name__}: {exc}"
            raise LoadError(reason, stream=self.stream_name, line=lines[0]) from exc

    @abc.abstractmethod
    def shape(self, record: dict[str, Any]) -> Item:
        """The API item that writes (or deletes) what the record describes."""

    @abc.abstractmethod
    def send(self, items: list[Item], lines: list[int], position: int) -> None:
        """Write the items; raise ``LoadError`` naming the input line of a refused one.

        ``position`` is the batch's index since the last STATE (see ``replay``).
        """

    def _load_error(self, exc: OssitError, lines: Sequence[int]) -> LoadError:
        """A refusal of the API, traced back to the input line of the item it names."""
        if isinstance(exc, UnprocessableEntityError):
            for problem in exc.items or []:
                index = problem.get("index")
                if isinstance(index, int) and 0 <= index < len(lines):
                    return LoadError(
                        f"refused by the API: {problem.get('message') or exc.message}",
                        stream=self.stream_name,
                        line=lines[index],
                        field=problem.get("field"),
                    )
        field = exc.field if isinstance(exc, APIStatusError) else None
        # Only an answer is a refusal; a connection error or a bad answer is not.
        what = "refused by the API" if isinstance(exc, APIStatusError) else "not sent"
        if len(lines) == 1:
            reason = f"{what}: {exc}"
        else:
            reason = f"{what} (batch of input lines {lines[0]} to {lines[-1]}): {exc}"
        return LoadError(reason, stream=self.stream_name, line=lines[0], field=field)


class _BatchEndpointSink(OssitSink):
    """Kinds written through a batch endpoint: one request per batch, all or nothing."""

    def send(self, items: list[Item], lines: list[int], position: int) -> None:
        """One ``POST /<kind>/batch``, creating groups and statistics not there yet.

        A batch that must not be applied twice carries a key a resumed run derives again.
        """
        key = None
        if needs_stable_key(items):
            key = batch_key(self._target.load_id, self.stream_name, position, items)
        self._target.destination.may_have_changed()
        try:
            getattr(self._target.client, self.kind).batch(
                items, create_missing=True, idempotency_key=key
            )
        except OssitError as exc:
            raise self._load_error(exc, lines) from exc


class PointsSink(_BatchEndpointSink):
    """Points, by (group, statistic, reference_date), a thousand per request."""

    kind = "points"

    def shape(self, record: dict[str, Any]) -> Item:
        """A ``set`` item (or the record's ``method``), or a ``delete`` item."""
        group, statistic, day = record["group"], record["statistic"], record["reference_date"]
        if record.get("deleted_at") is None:
            value = record["value"]
            if type(value) is str:
                value = self._number(value)
            method = record.get("method") or "set"
            return {
                "group": group,
                "statistic": statistic,
                "reference_date": day,
                "value": value,
                "method": method,
            }
        return {"group": group, "statistic": statistic, "reference_date": day, "delete": True}

    def _number(self, text: str) -> float:
        """A number given as text, as CSV sources give every value.

        Only JSON's number syntax is accepted: ``float()`` also takes ``1_000``,
        surrounding blanks, ``inf``/``nan`` and digits of every script (fullwidth ones too), none of
        which a source means as a number the API would store the same way.
        """
        value = float(text) if _JSON_NUMBER.fullmatch(text) else math.nan
        if not math.isfinite(value):
            msg = f"not a finite number in JSON number form: {text[:100]!r}"
            raise InvalidRecordError(msg, stream=self.stream_name, field="value")
        return value


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)
"""A number as JSON writes it (RFC 8259 section 6): ASCII digits, no blanks, no ``_``."""


class IntervalsSink(_BatchEndpointSink):
    """Intervals, upserted by ``external_id`` (the source's id when it has none)."""

    kind = "intervals"

    _OPTIONAL = ("statistic", "name", "end", "metadata")

    def shape(self, record: dict[str, Any]) -> Item:
        """An upsert item carrying the fields the record has, or a ``delete`` item."""
        external_id = record.get("external_id") or record.get("id")
        if not external_id:
            msg = "an interval needs an external_id (or the id of its source)"
            raise InvalidRecordError(msg, stream=self.stream_name, field="external_id")
        group = record["group"]
        if record.get("deleted_at") is not None:
            return {"external_id": external_id, "group": group, "delete": True}
        item = {
            "external_id": external_id,
            "group": group,
            "type": record["type"],
            "start": record["start"],
        }
        for name in self._OPTIONAL:
            if name in record:
                item[name] = record[name]
        if "metadata" in record:
            self._check_encodable(record["metadata"])
        return item

    def _check_encodable(self, metadata: object) -> None:
        """Refuse metadata the request could not carry, on its own input line.

        Metadata is free-form JSON; what JSON encoding refuses (nesting deeper than 255
        levels, for one) would otherwise fail on the sender thread, later, for the batch.
        """
        try:
            orjson.dumps(metadata)
        except orjson.JSONEncodeError as exc:
            msg = f"cannot be sent as JSON ({exc})"
            raise InvalidRecordError(msg, stream=self.stream_name, field="metadata") from None


class _OneByOneSink(OssitSink):
    """Kinds written one call per record (few records), each traced to its line."""

    def send(self, items: list[Item], lines: list[int], position: int) -> None:
        """Apply each item (each is idempotent); a refusal names the item's input line."""
        for item, line in zip(items, lines, strict=True):
            try:
                self.apply(item)
            except OssitError as exc:
                raise self._load_error(exc, [line]) from exc

    @abc.abstractmethod
    def apply(self, item: Item) -> None:
        """Make the destination match one item, writing nothing when it already does."""


def _gone(exc: NotFoundError) -> bool:
    """Whether a 404 says the object is gone (not, say, that no such endpoint exists).

    Only then is a delete's 404 "already deleted": any other 404 is an error to report.
    """
    return exc.code == "not_found"


class StatisticGroupsSink(_OneByOneSink):
    """Groups, by name: created, or their description updated, or deleted."""

    kind = "statistic_groups"

    def shape(self, record: dict[str, Any]) -> Item:
        """The group's name, its description when the record has one, and whether deleted."""
        item: Item = {"name": record["name"], "delete": record.get("deleted_at") is not None}
        if "description" in record:
            item["description"] = record["description"]
        return item

    def apply(self, item: Item) -> None:
        """Create, update, delete or leave alone the group of that name."""
        groups, destination = self._target.client.statistic_groups, self._target.destination
        name = item["name"]
        current = destination.group(name)
        if item["delete"]:
            if current is not None:  # else never loaded, or deleted before: as wanted
                try:
                    groups.delete(current["id"])
                except NotFoundError as exc:
                    if not _gone(exc):
                        raise
            destination.forget_group(name)
            return
        # A null description cannot be sent (the client leaves None fields unchanged).
        description = item.get("description")
        if current is None:
            try:
                current = groups.create(name, description=description)
            except ConflictError:  # created since the cache was read (by create_missing)
                destination.may_have_changed()
                current = destination.group(name)
                if current is None:
                    raise
        if description is not None and current.get("description") != description:
            current = groups.update(current["id"], description=description)
        destination.remember_group(current)


class StatisticsSink(_OneByOneSink):
    """Statistics, by (group, name): created, their unit or description updated, or purged.

    Their ``value`` and ``reference_date`` are the latest point's; points set them.
    """

    kind = "statistics"

    _METADATA = ("unit", "description")

    def shape(self, record: dict[str, Any]) -> Item:
        """The statistic's key, the metadata the record has, and whether deleted."""
        item: Item = {
            "group": record["group"],
            "name": record["name"],
            "delete": record.get("deleted_at") is not None,
        }
        for name in self._METADATA:
            if name in record:
                item[name] = record[name]
        return item

    def apply(self, item: Item) -> None:
        """Create, update, purge or leave alone the statistic of that group and name."""
        statistics, destination = self._target.client.statistics, self._target.destination
        group, name = item["group"], item["name"]
        # Null metadata cannot be sent (the client leaves None fields unchanged).
        metadata = {key: item[key] for key in self._METADATA if item.get(key) is not None}
        if item["delete"]:
            current = destination.statistic((group, name))
            if current is not None:  # else never loaded, or deleted before: as wanted
                try:
                    statistics.purge(current["group_id"], current["id"])
                except NotFoundError as exc:
                    if not _gone(exc):
                        raise
            destination.forget_statistic((group, name))
            return
        current = destination.statistic((group, name))
        if current is None:
            self._ensure_group(group)
            try:
                current = statistics.create(group, name, **metadata)
            except ConflictError:  # created since the cache was read (by create_missing)
                destination.may_have_changed()
                current = destination.statistic((group, name))
                if current is None:
                    raise
        if any(current.get(key) != value for key, value in metadata.items()):
            current = statistics.update_metadata(current["group_id"], current["id"], **metadata)
        destination.remember_statistic(current)

    def _ensure_group(self, group: str) -> None:
        """Create the parent group when the destination lacks it (a statistic needs one)."""
        destination = self._target.destination
        if destination.group(group) is None:
            try:
                destination.remember_group(self._target.client.statistic_groups.create(group))
            except ConflictError:  # created meanwhile by create_missing: fine
                destination.may_have_changed()


SINKS: dict[str, type[OssitSink]] = {
    sink.kind: sink for sink in (StatisticGroupsSink, StatisticsSink, PointsSink, IntervalsSink)
}
"""The sink of each kind of record, parents first."""
