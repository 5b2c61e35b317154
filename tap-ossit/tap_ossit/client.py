"""The one base stream: maps the core's incremental reader onto singer-sdk's Stream.

Reading itself (request sequences, positions, resuming, partitions) is the core's
(`ossit_sync.reading`); this class maps it onto the SDK: one state partition per
request sequence (one per group of the `groups` setting, else the stream's own state),
the bookmark and the next page's cursor saved after every page.

Records are handled a page at a time (one write, one bookmark, one STATE per page)
instead of through the SDK's per-record pipeline; see `_sdk.PagedStream`.
"""

from __future__ import annotations

import copy
import typing as t

from ossit_client import AuthenticationError, PermissionDeniedError
from ossit_schemas import stream_schema
from ossit_sync.failure import refused_key
from ossit_sync.reading import STATE_ORIGIN, KindReader, Page, ReadOptions
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_ossit._sdk import CURSOR_STATE_KEY, PagedStream
from tap_ossit.metrics import client_metrics

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from ossit_client import OssitClient
    from singer_sdk.helpers import types
    from singer_sdk.singerlib import Catalog

    from tap_ossit.tap import TapOssit


SDC_DELETED_AT = "_sdc_deleted_at"
"""Singer's deletion marker (setting `add_sdc_deleted_at`): a copy of `deleted_at`."""


class DomainKeyRefusedError(FatalAPIError):
    """The API answered 401/403: retrying cannot help, so the whole run stops."""

    def __init__(self, status_code: int) -> None:
        super().__init__(refused_key(status_code))


class OssitStream(PagedStream):
    """An Ossit list read incrementally; subclasses only declare what they read.

    Subclasses set `name`: the kind of record read, its schema's name and its
    `OssitClient` resource.
    """

    primary_keys = ("id",)
    replication_key = "updated_at"
    is_sorted = True
    # Records come from an API that answers in the stream's own schema.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapOssit) -> None:
        schema = stream_schema(self.name)
        self.add_sdc_deleted_at = bool(tap.config.get("add_sdc_deleted_at"))
        if self.add_sdc_deleted_at:
            schema["properties"][SDC_DELETED_AT] = copy.deepcopy(schema["properties"]["deleted_at"])
        self.chosen_replication_method = tap.replication_methods.get(self.name)
        super().__init__(tap, schema=schema)
        self.api: Callable[[], OssitClient] = lambda: tap.api  # made on first use
        self.reader = KindReader(self.api, self.name, ReadOptions.from_config(tap.config))

    def apply_catalog(self, catalog: Catalog) -> None:
        """The SDK's, then the catalog metadata's `replication-method`, if it sets one."""
        super().apply_catalog(catalog)
        if self.chosen_replication_method:
            self.forced_replication_method = self.chosen_replication_method

    def get_replication_key_signpost(self, context: types.Context | None = None) -> None:
        """None: a sorted read's bookmark is already exact, the local clock adds nothing."""
        return

    @property
    def partitions(self) -> list[dict[str, str]] | None:
        """One state partition per request sequence the reader makes (see `KindReader`)."""
        groups = self.reader.partitions
        return [{"group": group} for group in groups] if groups else None

    def get_records(self, context: types.Context | None) -> Iterator[dict[str, t.Any]]:
        """Every record changed since the bookmark(s), in (updated_at, id) order per group."""
        for context_element in self._contexts(context):
            for page in self._read(context_element):
                yield from page.records

    def _read(self, context: types.Context | None) -> Iterator[Page]:
        """Pages of records to emit from the partition's saved position, each with its own."""
        state = self.get_context_state(context)
        group = context["group"] if context else None
        try:
            start = self.reader.start(
                group,
                self.get_starting_replication_key_value(context),
                state,
                bookmark=state.get("replication_key_value"),
                cursor_key=CURSOR_STATE_KEY,
                origin_key=STATE_ORIGIN,
            )
            if start.position.bookmark is not None and "replication_key_value" in state:
                state[STATE_ORIGIN] = str(self.reader.origin)  # checked: this domain's own
            for page in self.reader.pages(group, start):
                if self.add_sdc_deleted_at:
                    for record in page.records:
                        record[SDC_DELETED_AT] = record["deleted_at"]
                yield page
        except (AuthenticationError, PermissionDeniedError) as exc:
            raise DomainKeyRefusedError(exc.status_code) from None

    def sync_metrics(self) -> AbstractContextManager[None]:
        """What the stream's sync cost the shared client (see `tap_ossit.metrics`)."""
        return client_metrics(self.api().counters, self.name)
