"""One sink per kind of Ossit record: thin Singer faces of the core's batch loader.

A sink hands each record, with its stream, kind and input line, to the target's one
``BatchLoader`` (``ossit_sync.loading``), which shapes it into an API item, cuts batches
and sends them in input order. The SDK's per-record checks the sinks make cheaper live in
``_sdk``; what a sink needs from the target is that loader and the input line, nothing
else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol

from target_ossit._sdk import SdkSink

if TYPE_CHECKING:
    from ossit_sync.loading import BatchLoader


class _LoadingTarget(Protocol):
    """What a sink reads from its target (besides what the SDK reads)."""

    loader: BatchLoader

    @property
    def line_number(self) -> int: ...


class OssitSink(SdkSink):
    """Hands records to the loader; subclasses name the kind of record they load."""

    kind: ClassVar[str]

    def __init__(
        self,
        target: _LoadingTarget,
        stream_name: str,
        schema: dict,
        key_properties: Sequence[str] | None,
    ) -> None:
        self.loader = target.loader
        self._lines = target
        super().__init__(target, stream_name, schema, key_properties)  # type: ignore[arg-type]

    @property
    def max_size(self) -> int:
        """Records per batch: the loader's ``batch_size`` (at most the API's 1000)."""
        return self.loader.batch_size

    def process_record(self, record: dict, context: dict) -> None:
        """Stage the record, with its input line, in the loader."""
        self.loader.add(self.stream_name, self.kind, record, self._lines.line_number)

    def process_batch(self, context: dict) -> None:
        """The SDK drains this sink (at the end, or on a signal): send what is staged."""
        self.loader.flush()


class StatisticGroupsSink(OssitSink):
    """Groups, by name: created, their description updated, or deleted."""

    kind = "statistic_groups"


class StatisticsSink(OssitSink):
    """Statistics, by (group, name): created, their unit or description updated, or purged."""

    kind = "statistics"


class PointsSink(OssitSink):
    """Points, by (group, statistic, reference_date), a thousand per batch request."""

    kind = "points"


class IntervalsSink(OssitSink):
    """Intervals, upserted by ``external_id``, a thousand per batch request."""

    kind = "intervals"


SINKS: dict[str, type[OssitSink]] = {
    sink.kind: sink for sink in (StatisticGroupsSink, StatisticsSink, PointsSink, IntervalsSink)
}
"""The sink of each kind of record, parents first."""
