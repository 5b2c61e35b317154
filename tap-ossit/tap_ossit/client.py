"""The one base stream: turns a stream's `resource` and its bookmark into `ossit_client` calls.

Ossit lists are ordered by `(updated_at, id)` and `updated_at` is unique within a
domain, so a stream is a sorted, exactly-resumable read: the bookmark is the last
`updated_at` read, the next request asks for `updated_since=<bookmark>` (inclusive)
and the one record equal to the bookmark, already emitted, is dropped.

Records are handled a page at a time (one write, one bookmark, one STATE per page)
instead of through the SDK's per-record pipeline; see `OssitStream._sync_records`.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import operator
import typing as t
from concurrent.futures import ThreadPoolExecutor

from ossit_client import AuthenticationError, PermissionDeniedError
from ossit_schemas import record_schema
from singer_sdk import Stream
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import RemoveRecordTransform, SameRecordTransform
from singer_sdk.singerlib import RecordMessage

from tap_ossit.writer import PageWriter

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from singer_sdk.helpers import types

    from tap_ossit.tap import TapOssit

    Output = tuple[str, Callable[[dict], dict | None] | None]
    """A stream map's alias and its transform (None: records pass unchanged)."""

Page = list[dict[str, t.Any]]
_position = operator.itemgetter("updated_at", "id")


class DomainKeyRefusedError(FatalAPIError):
    """The API answered 401/403: retrying cannot help, so the whole run stops."""

    def __init__(self, status_code: int) -> None:
        super().__init__(
            f"Ossit refused the domain key (HTTP {status_code}); check the domain_key setting."
        )


def _api_timestamp(value: str) -> str:
    """A bookmark or start_date in the API's own form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`."""
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _prefetched(pages: Iterator[Page]) -> Iterator[Page]:
    """Yield pages while the next one is already being requested.

    The server builds page n+1 while the tap writes page n. Only one request is ever in
    flight and the iterator is advanced by one thread at a time, so the request sequence
    (and its count) is the same as a plain loop's.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ossit-prefetch") as pool:
        pending = pool.submit(next, pages, None)
        while (page := pending.result()) is not None:
            pending = pool.submit(next, pages, None)
            yield page


def _merge_pages(sequences: list[Iterator[Page]], size: int) -> Iterator[Page]:
    """Interleave sorted page sequences into one sequence sorted by (updated_at, id)."""
    records = heapq.merge(*map(itertools.chain.from_iterable, sequences), key=_position)
    while page := list(itertools.islice(records, size)):
        yield page


class OssitStream(Stream):
    """An Ossit list read incrementally; subclasses only declare what they read.

    Subclasses set `name` (also the record schema's name) and `resource`, the
    `OssitClient` attribute whose `.list(...)` reads them.
    """

    resource: t.ClassVar[str]
    group_name_field: t.ClassVar[str | None] = None
    """Set when the list takes no `group=` filter: `groups` is then matched on this field."""

    primary_keys = ("id",)
    replication_key = "updated_at"
    is_sorted = True
    # Records come from an API that answers in the stream's own schema.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapOssit) -> None:
        super().__init__(tap, schema=record_schema(self.name))

    def get_replication_key_signpost(self, context: types.Context | None = None) -> None:
        """None: a sorted read's bookmark is already exact, the local clock adds nothing."""
        return

    def get_records(self, context: types.Context | None) -> Iterator[dict[str, t.Any]]:
        """Every record changed since the bookmark, in (updated_at, id) order."""
        for records, _read_up_to in self._read(context):
            yield from records

    def _read(self, context: types.Context | None) -> Iterator[tuple[Page, str]]:
        """Pages of records to emit, each with the `updated_at` it has read up to."""
        since = self.get_starting_replication_key_value(context)
        bookmark = self.get_context_state(context).get("replication_key_value")
        # The record at the bookmark was emitted by the run that wrote it (not so a start_date).
        already_emitted = since if since is not None and since == bookmark else None
        groups = list(dict.fromkeys(self.config.get("groups") or ()))
        for page in self._fetch(None if since is None else _api_timestamp(since), groups):
            records = page
            if already_emitted is not None and page[0]["updated_at"] == already_emitted:
                records = page[1:]
            already_emitted = None
            if groups and self.group_name_field:
                records = [r for r in records if r[self.group_name_field] in groups]
            yield records, page[-1]["updated_at"]

    def _fetch(self, since: str | None, groups: list[str]) -> Iterator[Page]:
        """Non-empty pages in (updated_at, id) order: one request sequence per group."""
        api = t.cast("TapOssit", self._tap).api
        lister = getattr(api, self.resource).list
        options = {
            "updated_since": since,
            "include_deleted": self.config["include_deleted"],
            "limit": self.config["page_size"],
        }
        if groups and not self.group_name_field:
            sequences = [lister(group=group, **options).pages() for group in groups]
            pages = _merge_pages(sequences, options["limit"])
        else:
            pages = lister(**options).pages()
        try:
            yield from (page for page in _prefetched(pages) if page)
        except (AuthenticationError, PermissionDeniedError) as exc:
            raise DomainKeyRefusedError(exc.status_code) from None

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

    def _write_page(self, records: Page, outputs: list[Output]) -> None:
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
    ) -> Iterator[dict[str, t.Any]]:
        """Page-at-a-time version of `Stream._sync_records`.

        It keeps the SDK's contract (starting value, selection, stream maps, record
        limit of dry runs, sorted bookmarks, final STATE) for a stream that, like every
        Ossit stream, has no partitions and no child streams. The bookmark moves only
        after a page's records are written, so every STATE is safe to resume from.
        """
        outputs = self._outputs()
        limit = self.ABORT_AT_RECORD_COUNT
        count = 0
        with self.get_record_counter() as record_counter, self.get_sync_timer():
            self._write_starting_replication_value(context)
            for page, read_up_to in self._read(context):
                records, bookmark = page, read_up_to
                over_limit = limit is not None and count + len(page) > limit
                if over_limit:
                    records = page[: limit - count]  # type: ignore[operator]
                    bookmark = records[-1]["updated_at"] if records else None
                if records and write_messages:
                    self._write_page(records, outputs)
                count += len(records)
                record_counter.increment(len(records))
                if bookmark is not None:
                    self._increment_stream_state({"updated_at": bookmark}, context=context)
                    self.state_manager.is_flushed = False
                if write_messages:
                    self._write_state_message()
                yield from records
                if over_limit:
                    self._check_max_record_limit(current_record_index=count)
            self._finalize_state(self.stream_state)
        if write_messages:
            self._write_state_message()
