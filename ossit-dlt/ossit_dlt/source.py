"""``ossit_source``: an Ossit domain as a dlt source, a thin adapter over the core's reader.

Reading is the core's (``ossit_sync.reading``), the same as tap-ossit's and source-ossit's:
the same requests, the same pages, the same partitions by group, the same checks of a saved
state. This module maps it onto dlt: one resource per kind of record, parents first
(``statistic_groups``, ``statistics``, ``points``, ``intervals``), each keyed by ``id`` and
merged, its position kept in dlt's resource state in the same blob source-ossit keeps
(``StreamState``: bookmark, signed next-page cursor, origin, one part per group).

A page's position is recorded before the page is handed to dlt, so a run dlt stops after a
page (``add_limit``) saves the position after that very page, and the next run asks for
the next page and nothing before it. dlt saves a run's resource state together with the
data it extracted, so a run that fails while extracting saves neither: the next run starts
again from the last saved position and nothing is lost or loaded twice (rows are merged
on ``id``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dlt
from dlt.extract import DltResource
from ossit_client import OssitClient
from ossit_schemas import RECORD_TYPES
from ossit_sync.reading import ForeignStateError, KindReader, ReadOptions
from ossit_sync.reading.settings import READ_SETTINGS, read_setting_errors
from ossit_sync.reading.stream_state import StreamState

from ossit_dlt.columns import columns_of
from ossit_dlt.settings import SettingsError, checked, with_settings

SECTION = "ossit"
"""Where dlt looks for the settings: ``sources.ossit.<setting>``, ``SOURCES__OSSIT__<SETTING>``."""

PRIMARY_KEY = "id"
RESET_HINT = (
    "with dlt, run the pipeline once with refresh='drop_sources' (it reads everything again)"
)


@dlt.source(name=SECTION, section=SECTION, max_table_nesting=0)
@with_settings(READ_SETTINGS)
def ossit_source(**settings: Any) -> list[DltResource]:
    """Statistic groups, statistics, series points and intervals of one Ossit domain.

    The settings are tap-ossit's (``README.md``'s Configuration): the connection settings,
    then ``start_date``, ``groups``, ``page_size`` and ``include_deleted`` (tombstones,
    rows with ``deleted_at`` set, are included unless it is false).
    """
    config = checked("ossit_source", settings, READ_SETTINGS, read_setting_errors)
    options = ReadOptions.from_config(config)
    return [
        dlt.resource(
            _pages(kind, config, options),
            name=kind,
            primary_key=PRIMARY_KEY,
            write_disposition="merge",
            columns=columns_of(kind),
        )
        for kind in RECORD_TYPES
    ]


def _pages(kind: str, config: Mapping[str, Any], options: ReadOptions) -> Iterator[list[Any]]:
    """Every page of every request sequence of ``kind``; before each, its position saved.

    The client is made when dlt first asks for a page, and closed when it stops asking.
    """
    saved = dlt.current.resource_state(kind)
    with OssitClient.from_config(config) as client:
        reader = KindReader(lambda: client, kind, options)
        state = StreamState(dict(saved), reader)
        for group in reader.partitions or (None,):
            try:
                start = state.start(group, config.get("start_date"))
            except ForeignStateError as exc:
                raise SettingsError(f"{exc}; {RESET_HINT}") from None
            except ValueError as exc:
                raise SettingsError(f"state of resource '{kind}': {exc}; {RESET_HINT}") from None
            for page in reader.pages(group, start):
                state.advance(group, page.position)
                saved.clear()
                saved.update(state.blob())
                yield page.records
