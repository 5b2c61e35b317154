"""The one base stream: turns a stream's `resource` and its state into `ossit_client` calls.

Reading itself (request sequences, positions, resuming) is `tap_ossit.reader`'s; this
class maps it onto the SDK: one state partition per request sequence (one per group of
the `groups` setting, else the stream's own state), the bookmark and the next page's
cursor saved after every page.

Records are handled a page at a time (one write, one bookmark, one STATE per page)
instead of through the SDK's per-record pipeline; see `OssitStream._sync_records`.
"""

from __future__ import annotations

import datetime
import typing as t

from ossit_client import AuthenticationError, PermissionDeniedError
from ossit_schemas import record_schema
from singer_sdk import Stream
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import RemoveRecordTransform, SameRecordTransform
from singer_sdk.singerlib import RecordMessage

from tap_ossit.reader import Page, Position, read_pages
from tap_ossit.writer import PageWriter

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from ossit_client import Paginator
    from singer_sdk.helpers import types

    from tap_ossit.tap import TapOssit

    Output = tuple[str, Callable[[dict], dict | None] | None]
    """A stream map's alias and its transform (None: records pass unchanged)."""

CURSOR_STATE_KEY = "next_page"
"""Where a partition's state keeps the cursor of its next page (see `reader.Position`)."""


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

    @property
    def partitions(self) -> list[dict[str, str]] | None:
        """One partition per group of the `groups` setting, when the list filters by group.

        Each group is then its own request sequence with its own state (see
        `tap_ossit.reader`): a bookmark shared by sequences that end at different
        moments would pass changes made to a group after its sequence ended.
        """
        if self.group_name_field:
            return None
        groups = self._groups()
        return [{"group": group} for group in groups] if groups else None

    def _groups(self) -> list[str]:
        """The `groups` setting without repeats, in its order."""
        return list(dict.fromkeys(self.config.get("groups") or ()))

    def get_records(self, context: types.Context | None) -> Iterator[dict[str, t.Any]]:
        """Every record changed since the bookmark(s), in (updated_at, id) order per group."""
        for context_element in self._contexts(context):
            for page in self._read(context_element):
                yield from page.records

    def _contexts(self, context: types.Context | None) -> list[types.Context | None]:
        """The partitions a sync of `context` covers: itself, or every partition."""
        if context is not None:
            return [context]
        return list(self.partitions or [None])

    def _read(self, context: types.Context | None) -> Iterator[Page]:
        """Pages of records to emit from the partition's saved position, each with its own."""
        since = self.get_starting_replication_key_value(context)
        state = self.get_context_state(context)
        bookmark = state.get("replication_key_value")
        start = Position(None, None)
        already_emitted = None
        if since is not None:
            since = _api_timestamp(since)
            if bookmark is not None and since == _api_timestamp(bookmark):
                # The record at the bookmark was emitted by the run that wrote it (not so
                # a start_date's); the saved cursor, if any, continues right after it.
                saved = Position.from_state(bookmark, state.get(CURSOR_STATE_KEY))
                start = Position(since, saved.cursor)
                already_emitted = since
            else:
                start = Position(since, None)
        names = self._groups() if self.group_name_field else []
        try:
            for page in read_pages(
                self._paginator(context), start, already_emitted=already_emitted
            ):
                if names:
                    page = Page(
                        [r for r in page.records if r[self.group_name_field] in names],
                        page.position,
                    )
                yield page
        except (AuthenticationError, PermissionDeniedError) as exc:
            raise DomainKeyRefusedError(exc.status_code) from None

    def _paginator(self, context: types.Context | None) -> Callable[[str | None], Paginator]:
        """`since -> Paginator` of the partition's list request sequence."""
        lister = getattr(t.cast("TapOssit", self._tap).api, self.resource).list
        options: dict[str, t.Any] = {
            "include_deleted": self.config["include_deleted"],
            "limit": self.config["page_size"],
        }
        if context is not None:
            options["group"] = context["group"]
        return lambda since: lister(updated_since=since, **options)

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
    ) -> Iterator[dict[str, t.Any]]:
        """Page-at-a-time version of `Stream._sync_records`.

        It keeps the SDK's contract (partitions, starting value, selection, stream maps,
        record limit of dry runs, sorted bookmarks, final STATE) for streams without
        child streams. A partition's position moves only after its page's records are
        written AND handed to the caller, so every STATE is safe to resume from: in
        BATCH mode (`write_messages=False`) the caller is the SDK's batcher, and a STATE
        then never covers records that are not yet in a batch file it has announced.
        """
        outputs = self._outputs()
        limit = self.ABORT_AT_RECORD_COUNT
        count = 0
        with self.get_record_counter() as record_counter, self.get_sync_timer():
            for partition in self._contexts(context):
                self._write_starting_replication_value(partition)
                for page in self._read(partition):
                    records, position = page.records, page.position
                    over_limit = limit is not None and count + len(records) > limit
                    if over_limit:
                        records = records[: limit - count]  # type: ignore[operator]
                        position = Position(records[-1]["updated_at"] if records else None)
                    if records and write_messages:
                        self._write_page(records, outputs)
                    count += len(records)
                    record_counter.increment(len(records))
                    yield from records
                    self._advance(partition, position)
                    if write_messages:
                        self._write_state_message()
                    if over_limit:
                        self._check_max_record_limit(current_record_index=count)
                if partition is not None:
                    self._finalize_state(self.get_context_state(partition))
            if context is None:
                self._finalize_state(self.stream_state)
        if write_messages:
            self._write_state_message()

    def _advance(self, context: types.Context | None, position: Position) -> None:
        """Move the partition's state to `position`: its bookmark and next page's cursor."""
        if position.bookmark is None:
            return
        self._increment_stream_state({"updated_at": position.bookmark}, context=context)
        # A cursor is kept tied to its bookmark (see `reader.Position`), so one that a
        # merge of states lets outlive its bookmark is ignored, never followed.
        state = self.get_context_state(context)
        if (saved := position.to_state()) is None:
            state.pop(CURSOR_STATE_KEY, None)
        else:
            state[CURSOR_STATE_KEY] = saved
        self.state_manager.is_flushed = False
