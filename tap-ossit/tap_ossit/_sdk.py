"""Every use of singer-sdk internals in tap-ossit, in one place, each guarded.

The SDK has no public hook for writing a page of records at once, for moving a
partition's state to a position it did not compute itself, or for leaving the process's
signals to the command line. Each private SDK function replaced or called here is
listed in ``REPLACED`` with the hash of its source in the singer-sdk version this was
written against, and each private SDK attribute read or set here in ``ATTRIBUTES`` with
the SDK function that defines it (itself in ``REPLACED``); ``tests/test_sdk_guard.py``
fails when the SDK changes one, and when a private SDK name is used anywhere else in
the connector, so an upgrade is a deliberate review of this file, never a silent change
of behaviour.

What the replaced engine keeps of the SDK's contract, the documented hooks included
(`Stream.post_process`, stream maps, selection), is tested in ``tests/tap``.
"""

from __future__ import annotations

import abc
import contextlib
import typing as t

from ossit_sync.reading import STATE_ORIGIN, KindReader, Page, Position
from ossit_sync.stopping import whole
from singer_sdk import Stream, Tap
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._util import utc_now
from singer_sdk.mapper import RemoveRecordTransform, SameRecordTransform
from singer_sdk.singerlib import RecordMessage
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE

from tap_ossit.writer import PageWriter

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator
    from contextlib import AbstractContextManager

    from singer_sdk.helpers import types

    Output = tuple[str, Callable[[dict], dict | None] | None]
    """A stream map's alias and its transform (None: records pass unchanged)."""

REPLACED: dict[str, str] = {
    # replaced
    "singer_sdk.streams.core:Stream._sync_records": "8928dc7f50e9bf57",
    "singer_sdk.tap_base:Tap.streams": "5fc6b7f1f5dc0e3e",
    "singer_sdk.plugin_base:PluginBase._setup_signal_handlers": "eb4287001bdd7d19",
    # called
    "singer_sdk.streams.core:Stream._increment_stream_state": "cabc0edb2fd4f000",
    "singer_sdk.streams.core:Stream._write_starting_replication_value": "0a24e5d05cd5353c",
    "singer_sdk.streams.core:Stream._finalize_state": "e08e1d0714a904b2",
    "singer_sdk.streams.core:Stream._write_state_message": "f82ecd8d16986823",
    "singer_sdk.streams.core:Stream._check_max_record_limit": "1e2a5ba02d427833",
    "singer_sdk.helpers._catalog:pop_deselected_record_properties": "e69d4428c03eced1",
    "singer_sdk.helpers._util:utc_now": "79d85139ddece0a3",
    # define the attributes in ATTRIBUTES
    "singer_sdk.streams.core:Stream.__init__": "d688dac686f01d3b",
    "singer_sdk.streams._state:StreamStateManager.__init__": "554af39db4fba9fb",
}
"""SDK function (``module:qualname``) -> sha256 prefix of its source when this was written."""

ATTRIBUTES: dict[str, str] = {
    "_tap": "singer_sdk.streams.core:Stream.__init__",
    "_stream_version": "singer_sdk.streams.core:Stream.__init__",
    "is_flushed": "singer_sdk.streams._state:StreamStateManager.__init__",
}
"""Private SDK attribute used here -> the SDK function (in ``REPLACED``) that sets it."""

CURSOR_STATE_KEY = "next_page"
"""Where a partition's state keeps the cursor of its next page (see `Position`)."""


class SdkTap(Tap):
    """A Tap whose objects leave the process's signals alone."""

    def _setup_signal_handlers(self) -> None:
        """None: the SDK takes SIGTERM and SIGINT over whenever a Tap object is made.

        Its handler writes a STATE and exits 0 wherever the signal lands, inside a page
        of records too. The command line installs ours instead (``TapOssit.invoke``), and
        a tap object made in another program changes nothing of that program.
        """


class PagedStream(Stream):
    """A stream synced a page at a time: one write, one bookmark, one STATE per page."""

    reader: KindReader

    def _contexts(self, context: types.Context | None) -> list[types.Context | None]:
        """The partitions a sync of `context` covers: itself, or every partition."""
        if context is not None:
            return [context]
        return [*self.partitions] if self.partitions else [None]

    def sync_metrics(self) -> AbstractContextManager[None]:
        """Measures one sync of the stream, for METRIC lines at its end (none here)."""
        return contextlib.nullcontext()

    @abc.abstractmethod
    def _read(self, context: types.Context | None) -> Iterator[Page]:
        """Pages of records to emit from the partition's saved position."""

    def _outputs(self) -> list[Output]:
        """(stream alias, transform) per active stream map; None passes records unchanged."""
        return [
            (
                stream_map.stream_alias,
                None
                if type(stream_map) is SameRecordTransform and not stream_map.flattening_enabled
                else stream_map.transform,
            )
            for stream_map in self.stream_maps
            if not isinstance(stream_map, RemoveRecordTransform)
        ]

    def _write_page(self, records: list[dict[str, t.Any]], outputs: list[Output]) -> None:
        """Write one page as RECORD messages on every output of the stream maps."""
        if any(not selected for selected in self.mask.values()):
            for record in records:
                pop_deselected_record_properties(record, self.schema, self.mask)
        writer = self._tap.message_writer
        extracted = utc_now()
        for alias, transform in outputs:
            rows: Iterable[dict] = (
                records
                if transform is None
                else [row for row in map(transform, records) if row is not None]
            )
            if isinstance(writer, PageWriter):
                writer.write_records(
                    alias, rows, time_extracted=extracted, version=self._stream_version
                )
            else:
                for row in rows:
                    self._tap.write_message(
                        RecordMessage(alias, row, self._stream_version, extracted)
                    )

    def _sync_records(
        self,
        context: types.Context | None = None,
        *,
        write_messages: bool = True,
    ) -> Generator[dict[str, t.Any], t.Any, t.Any]:
        """Page-at-a-time version of `Stream._sync_records`.

        It keeps the SDK's contract (partitions, starting value, selection, stream maps,
        record limit of dry runs, sorted bookmarks, final STATE) for streams without
        child streams. A partition's position moves only after its page's records are
        written, so every STATE is safe to resume from: in BATCH mode
        (`write_messages=False`) only once they are handed to the caller, the SDK's
        batcher, so a STATE never covers records not yet in a batch file it has announced.
        A page, its new position and its STATE are written as one (`stopping.whole`): a
        stop signal ends the run after them, never inside the page.

        A subclass's `post_process` runs on every record, with its partition, before
        selection and stream maps, as in the SDK; a record it drops is read all the
        same, so the position moves past it. Streams that keep the SDK's (which returns
        the record as is) skip the call.
        """
        outputs = self._outputs()
        post_processed = self._post_processed if _overrides_post_process(self) else None
        limit = self.ABORT_AT_RECORD_COUNT
        count = 0
        with (
            self.sync_metrics(),
            self.get_record_counter() as record_counter,
            self.get_sync_timer(),
        ):
            for partition in self._contexts(context):
                self._write_starting_replication_value(partition)
                for page in self._read(partition):
                    records, position = page.records, page.position
                    stamps: list[str] | None = None  # updated_at of each record as read
                    if post_processed is not None:
                        records, stamps = post_processed(records, partition)
                    over_limit = limit is not None and count + len(records) > limit
                    if over_limit:
                        kept = limit - count  # type: ignore[operator]
                        records = records[:kept]
                        stamps = stamps or [record["updated_at"] for record in records]
                        position = Position(stamps[kept - 1] if records else None)
                    if write_messages:
                        # A stop signal waits for the page and its STATE (ossit_sync.stopping).
                        with whole():
                            if records:
                                self._write_page(records, outputs)
                            self._advance(partition, position)
                            self._write_state_message()
                    count += len(records)
                    record_counter.increment(len(records))
                    yield from records
                    if not write_messages:
                        self._advance(partition, position)
                    if over_limit:
                        self._check_max_record_limit(current_record_index=count)
                if partition is not None:
                    self._finalize_state(self.get_context_state(partition))
            if context is None:
                self._finalize_state(self.stream_state)
        if write_messages:
            self._write_state_message()

    def _post_processed(
        self, records: list[dict[str, t.Any]], context: types.Context | None
    ) -> tuple[list[dict[str, t.Any]], list[str]]:
        """The records `post_process` keeps, as it returns them, and the `updated_at` each
        had as read (the position of a page cut short by a record limit)."""
        kept: list[dict[str, t.Any]] = []
        stamps: list[str] = []
        for record in records:
            stamp = record["updated_at"]
            if (row := self.post_process(record, context)) is not None:
                kept.append(row)
                stamps.append(stamp)
        return kept, stamps

    def _advance(self, context: types.Context | None, position: Position) -> None:
        """Move the partition's state to `position`: its bookmark and next page's cursor.

        A FULL_TABLE sync reads everything and keeps no position (as the SDK's own).
        """
        if position.bookmark is None or self.replication_method == REPLICATION_FULL_TABLE:
            return
        self._increment_stream_state({"updated_at": position.bookmark}, context=context)
        # A cursor is kept tied to its bookmark (see `reader.Position`), so one that a
        # merge of states lets outlive its bookmark is ignored, never followed.
        state = self.get_context_state(context)
        state[STATE_ORIGIN] = str(self.reader.origin)
        if (saved := position.to_state(self.reader.signer)) is None:
            state.pop(CURSOR_STATE_KEY, None)
        else:
            state[CURSOR_STATE_KEY] = saved
        self.state_manager.is_flushed = False


def _overrides_post_process(stream: Stream) -> bool:
    """Whether the stream's class replaces the SDK's `post_process` (which changes nothing)."""
    return type(stream).post_process is not Stream.post_process
