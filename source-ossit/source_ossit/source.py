"""source-ossit: the Airbyte source for Ossit, a thin adapter over the core's reader.

Reading is the core's (``ossit_sync.reading``: request sequences, positions, resuming,
the groups partitions), the same as tap-ossit's: the same requests, the same pages. This
module maps it onto the Airbyte protocol: four streams, ``full_refresh`` and
``incremental`` (source-defined cursor ``updated_at``, primary key ``id``), a per-stream
STATE after every page (the bookmark and the next page's cursor, so a run resumes at the
very page boundary), stream status traces, and deletes as records with ``deleted_at`` set.
"""

from __future__ import annotations

import argparse
from functools import cached_property
from typing import Any

from airbyte_protocol_dataclasses.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStream,
    ConfiguredAirbyteStream,
    ConnectorSpecification,
    SyncMode,
    Type,
)
from ossit_airbyte.check import check_connection
from ossit_airbyte.entrypoint import Command, Config, launch
from ossit_airbyte.failures import failure_text
from ossit_airbyte.inputs import ConfigError, configured_catalog, stream_states
from ossit_airbyte.messages import (
    AirbyteStreamStatus,
    MessageWriter,
    now_ms,
    record_lines,
    stream_state,
    stream_status,
)
from ossit_airbyte.schemas import stream_schema
from ossit_airbyte.spec import connection_specification
from ossit_client import OssitClient
from ossit_client.settings import connection_setting_errors
from ossit_schemas import RECORD_TYPES
from ossit_sync.reading import ForeignStateError, KindReader, ReadOptions
from ossit_sync.reading.settings import READ_SETTINGS, read_setting_errors
from ossit_sync.reading.stream_state import StreamState
from ossit_sync.stopping import whole

DOCUMENTATION_URL = "https://github.com/ossit/ossit-connectors/blob/main/source-ossit/README.md"
CURSOR_FIELD = "updated_at"
PRIMARY_KEY = "id"


class StreamReadError(Exception):
    """Reading one stream failed; the cause says why (and decides the failure type)."""

    def __init__(self, stream: str, cause: BaseException) -> None:
        self.stream = stream
        super().__init__(f"stream '{stream}': {failure_text(cause)}")


class SourceOssit:
    """Statistic groups, statistics, series points and intervals, as Airbyte streams."""

    name = "source-ossit"

    def spec(self) -> ConnectorSpecification:
        """The connection settings every Ossit connector takes, then a read's."""
        return ConnectorSpecification(
            connectionSpecification=connection_specification("Ossit source", READ_SETTINGS),
            documentationUrl=DOCUMENTATION_URL,
            supportsIncremental=True,
        )

    def setting_errors(self, config: Config) -> list[str]:
        """What JSON Schema cannot check: the key's characters, URLs, the start date."""
        return connection_setting_errors(config) + read_setting_errors(config)

    def check(self, config: Config) -> AirbyteConnectionStatus:
        """One request for one group: the key, the URL and the network all answer it."""
        return check_connection(config)

    def commands(self) -> dict[str, Command]:
        """``discover`` and ``read``."""
        return {"discover": Discover(), "read": Read()}


class Discover:
    """The four streams, parents first, each incremental on ``updated_at``."""

    files: tuple[str, ...] = ()

    def __call__(self, config: Config, args: argparse.Namespace, writer: MessageWriter) -> None:
        writer.write(AirbyteMessage(type=Type.CATALOG, catalog=catalog()))


def catalog() -> AirbyteCatalog:
    """The source's catalog: every kind of record, with its schema (numbers kept exactly by a
    typed store: ``ossit_airbyte.schemas``)."""
    return AirbyteCatalog(
        streams=[
            AirbyteStream(
                name=kind,
                json_schema=stream_schema(kind),
                supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
                source_defined_cursor=True,
                default_cursor_field=[CURSOR_FIELD],
                source_defined_primary_key=[[PRIMARY_KEY]],
                is_resumable=True,
            )
            for kind in RECORD_TYPES
        ]
    )


class Read:
    """Reads the configured streams, parents first, with one client for all."""

    files: tuple[str, ...] = ("catalog", "state")

    def __call__(self, config: Config, args: argparse.Namespace, writer: MessageWriter) -> None:
        streams = _configured(configured_catalog(args.catalog))
        states = stream_states(args.state)
        run = _Run(config, writer)
        try:
            for stream in streams:
                run.read(stream, states.get(stream.stream.name, {}))
        finally:
            run.close()


def _configured(catalog: Any) -> list[ConfiguredAirbyteStream]:
    """The catalog's streams in the order writes need them: groups first, points last."""
    by_name: dict[str, ConfiguredAirbyteStream] = {}
    for stream in catalog.streams:
        name = stream.stream.name
        if name not in RECORD_TYPES:
            raise ConfigError(
                f"catalog: stream '{name}' is not a stream of source-ossit "
                f"({', '.join(RECORD_TYPES)})"
            )
        if name in by_name:
            raise ConfigError(f"catalog: stream '{name}' is configured twice")
        by_name[name] = stream
    return [by_name[name] for name in RECORD_TYPES if name in by_name]


class _Run:
    """One read: its settings, its writer and its one client (made on first use)."""

    def __init__(self, config: Config, writer: MessageWriter) -> None:
        self.config = config
        self.writer = writer
        self.options = ReadOptions.from_config(config)
        self.start_date: str | None = config.get("start_date")

    @cached_property
    def client(self) -> OssitClient:
        return OssitClient.from_config(self.config)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

    def read(self, stream: ConfiguredAirbyteStream, saved: dict[str, Any]) -> None:
        """Read one stream, with its status traces; a failure names the stream."""
        name = stream.stream.name
        write = self.writer.write
        write(stream_status(name, AirbyteStreamStatus.STARTED))
        try:
            incremental = stream.sync_mode == SyncMode.incremental
            self._read(name, saved if incremental else None)
        except Exception as exc:
            write(stream_status(name, AirbyteStreamStatus.INCOMPLETE))
            raise StreamReadError(name, exc) from exc
        write(stream_status(name, AirbyteStreamStatus.COMPLETE))

    def _read(self, name: str, saved: dict[str, Any] | None) -> None:
        """Every page of every sequence of the stream; after each, incrementally, a STATE.

        ``state`` None is a full refresh: from the start date, no bookmark, one STATE at the
        end (an empty one, so a later incremental read starts over, as it must). An
        incremental read that finds nothing new passes its saved state on once.
        """
        reader = KindReader(lambda: self.client, name, self.options)
        state = None if saved is None else StreamState(saved, reader)
        write, write_lines = self.writer.write, self.writer.write_lines
        running = False
        total = 0
        for group in reader.partitions or (None,):
            if state is None:
                start = StreamState({}, reader).start(group, self.start_date)
            else:
                try:
                    start = state.start(group, self.start_date)
                except ForeignStateError as exc:
                    raise ConfigError(str(exc)) from None
                except ValueError as exc:
                    raise ConfigError(f"state of stream '{name}': {exc}") from None
            for page in reader.pages(group, start):
                if not running:
                    write(stream_status(name, AirbyteStreamStatus.RUNNING))
                    running = True
                with whole():  # a stop signal waits for the page and its STATE
                    write_lines(record_lines(name, page.records, now_ms()))
                    total += len(page.records)
                    if state is not None:
                        state.advance(group, page.position)
                        write(stream_state(name, state.blob(), len(page.records)))
        if state is None:
            write(stream_state(name, {}, total))
        elif not running:  # nothing new: the saved state again, so every sync ends with one
            write(stream_state(name, state.blob(), 0))


def main() -> None:
    """The ``source-ossit`` command."""
    launch(SourceOssit())


if __name__ == "__main__":
    main()
