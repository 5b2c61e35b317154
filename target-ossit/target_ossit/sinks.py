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

from ossit_schemas import KINDS, Kind

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


def sink_class(kind: Kind) -> type[OssitSink]:
    """The sink of ``kind``: ``OssitSink`` loading records of that kind."""
    class_name = "".join(part.title() for part in kind.name.split("_")) + "Sink"
    how = "a thousand per batch request" if kind.batch_endpoint else "one call per change"
    doc = f"{kind.description}, by ({', '.join(kind.natural_key)}), {how}."
    return type(class_name, (OssitSink,), {"kind": kind.name, "__doc__": doc})


SINKS: dict[str, type[OssitSink]] = {name: sink_class(kind) for name, kind in KINDS.items()}
"""The sink of each kind of record (``ossit_schemas.KINDS``), parents first."""
