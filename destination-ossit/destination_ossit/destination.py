"""destination-ossit: the Airbyte destination for Ossit, a thin adapter over the batch loader.

Loading is the core's (``ossit_sync.loading``), the same as target-ossit's: records shaped
into API items on arrival, batches cut by size, stream and state, sent in input order,
replay-safe keys, deletes. This module maps the Airbyte protocol onto it: the configured
catalog says which streams come and how (their kind, by name or ``stream_kinds``), RECORD
messages are loaded, and each STATE message is echoed only once every record before it is
acknowledged by the API, so a resumed sync neither loses nor doubles a value (and, when
the input is a typed store's, only once the input has ended: ``_StateEcho``).

Sync modes: ``append`` and ``append_dedup`` are the same in Ossit, an upsert by the natural
key (a group's name; a statistic's group and name; a point's statistic and date; an
interval's external id). ``overwrite`` (empty the destination, then load) is refused before
any input is read: emptying an Ossit domain stream by stream would delete the points of
statistics the sync does not carry; a source's deletes arrive as records with
``deleted_at`` set instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from airbyte_protocol_dataclasses.models import (
    AirbyteConnectionStatus,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    DestinationSyncMode,
)
from ossit_airbyte.check import check_connection
from ossit_airbyte.entrypoint import Command, Config, launch
from ossit_airbyte.inputs import ConfigError, configured_catalog
from ossit_airbyte.messages import MessageWriter
from ossit_airbyte.spec import connection_specification
from ossit_client import OssitClient
from ossit_client.settings import connection_setting_errors
from ossit_schemas import values
from ossit_sync.loading import (
    BatchLoader,
    InputError,
    InvalidSchemaError,
    RecordValidator,
    held_back_error,
)
from ossit_sync.loading.sender import SWITCH_INTERVAL_S
from ossit_sync.loading.settings import LOAD_SETTINGS, LoadOptions
from ossit_sync.stopping import whole

from destination_ossit.conform import AIRBYTE_PREFIX, Conformer

logger = logging.getLogger(__name__)

DOCUMENTATION_URL = (
    "https://github.com/ossit/ossit-connectors/blob/main/destination-ossit/README.md"
)
SYNC_MODES = (DestinationSyncMode.append, DestinationSyncMode.append_dedup)
"""What a stream may be synced as: both are upserts by natural key in Ossit."""

MAX_LINE_BYTES = 64 * 1024 * 1024
"""Longest input message accepted (a point's record is ~300 bytes)."""


class DestinationOssit:
    """Loads statistic groups, statistics, series points and intervals into Ossit."""

    name = "destination-ossit"

    def spec(self) -> ConnectorSpecification:
        """The connection settings every Ossit connector takes, then a load's."""
        return ConnectorSpecification(
            connectionSpecification=connection_specification("Ossit destination", LOAD_SETTINGS),
            documentationUrl=DOCUMENTATION_URL,
            supported_destination_sync_modes=list(SYNC_MODES),
        )

    def setting_errors(self, config: Config) -> list[str]:
        """What JSON Schema cannot check: the key's characters, URLs, numbers."""
        return connection_setting_errors(config)

    def check(self, config: Config) -> AirbyteConnectionStatus:
        """One request for one group: the key, the URL and the network all answer it."""
        return check_connection(config)

    def commands(self) -> dict[str, Command]:
        """``write``."""
        return {"write": Write()}


@dataclass(frozen=True)
class _Stream:
    """How one configured stream loads: as which kind, checked by which schema."""

    kind: str
    conform: Conformer
    validator: RecordValidator


class Write:
    """Loads the messages on standard input."""

    files: tuple[str, ...] = ("catalog",)

    def __call__(self, config: Config, args: argparse.Namespace, writer: MessageWriter) -> None:
        options = LoadOptions.from_config(config)
        streams = configured_streams(configured_catalog(args.catalog), options)
        sys.setswitchinterval(SWITCH_INTERVAL_S)  # the command line's process to tune
        client: OssitClient | None = None

        def get_client() -> OssitClient:
            nonlocal client
            if client is None:
                client = OssitClient.from_config(config)
            return client

        echo = _StateEcho(lambda state: writer.write_lines(values.dumps(state) + b"\n"))
        loader = BatchLoader(
            get_client,
            echo,
            batch_size=options.batch_size,
            load_id=options.load_id,
            process_deletes=options.process_deletes,
            each_state=True,
        )
        try:
            load(sys.stdin.buffer, streams, loader, echo)
        except BaseException:
            loader.settle()
            raise
        finally:
            for notice in loader.report.notices():
                logger.warning("%s", notice)
            loader.close()
            if client is not None:
                client.close()


def configured_streams(
    catalog: ConfiguredAirbyteCatalog, options: LoadOptions
) -> dict[str, _Stream]:
    """Each configured stream's kind and validator; what cannot load is refused up front."""
    streams: dict[str, _Stream] = {}
    for configured in catalog.streams:
        name = configured.stream.name
        mode = configured.destination_sync_mode
        if mode not in SYNC_MODES:
            raise ConfigError(
                f"stream '{name}': destination sync mode '{mode.value}' is not supported; "
                "use append or append_dedup (both upsert by natural key in Ossit). "
                "destination-ossit never empties a domain: deletes arrive as records with "
                "deleted_at set (source-ossit's include_deleted)"
            )
        schema = configured.stream.json_schema
        try:
            validator = RecordValidator(schema, stream=name)
        except InvalidSchemaError as exc:
            raise ConfigError(f"catalog: stream '{name}': {exc.reason}") from None
        streams[name] = _Stream(options.kind_of(name), Conformer(schema, stream=name), validator)
    return streams


class _StateEcho:
    """Passes each acknowledged STATE on (exact, as read): at once when the input comes from
    a source, at the end of the input when it comes from a typed store.

    A store (PyAirbyte's cache; its rows carry Airbyte's ``_airbyte_*`` columns) sends its
    tables whole, reading each from its DuckDB file while we load, and PyAirbyte saves each
    STATE we echo by deleting its stream's row in that file's ``_airbyte_destination_state``
    and inserting it again: while a read that began before the delete is open, DuckDB
    refuses the insert (``Duplicate key ... violates primary key constraint``) and the
    write fails, from the second run on. At the end of the input no read is open. Holding
    the echoes costs nothing there: a store's input never resumes half-way; it is sent
    whole again. Until the first record says where the input comes from, STATEs are held.
    """

    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        self._write = write
        self._held: list[dict[str, Any]] | None = []
        self.decided = False

    def __call__(self, state: dict[str, Any]) -> None:
        if self._held is None:
            self._write(state)
        else:
            self._held.append(state)

    def decide(self, *, from_store: bool) -> None:
        """The first record tells: a store's input is held to its end, a source's is not."""
        self.decided = True
        if not from_store:
            self.release()

    def release(self) -> None:
        """Pass on what is held, and every later STATE at once."""
        held, self._held = self._held or [], None
        for state in held:
            self._write(state)


def load(
    input_: IO[bytes], streams: dict[str, _Stream], loader: BatchLoader, echo: _StateEcho
) -> None:
    """Load every message of ``input_``; each error names its input line (and stream).

    A stop signal waits for the line being handled (``ossit_sync.stopping``): the loader
    is never left with half a message, and the states it passed on stay safe.
    """
    handler = _Messages(streams, loader, echo)
    number = 0
    while line := input_.readline(MAX_LINE_BYTES + 1):
        number += 1
        try:
            with whole():
                handler.handle(line, number)
        except InputError as exc:
            exc.locate(line=number, stream=None)
            raise
    held_back = loader.finish()
    echo.release()  # every record is acknowledged, and the input has ended
    if held_back:
        raise held_back_error(held_back)


class _Messages:
    """Dispatches input messages: records to the loader, states with the records they cover.

    Each STATE passed on says how many records it covers (``destinationStats``: the
    records of its stream since that stream's previous STATE, of every stream for a global
    or legacy one), so the platform can tell that none went missing on the way.
    """

    def __init__(self, streams: dict[str, _Stream], loader: BatchLoader, echo: _StateEcho) -> None:
        self.streams = streams
        self.loader = loader
        self.echo = echo
        self.counts: Counter[str] = Counter()

    def handle(self, line: bytes, number: int) -> None:
        if len(line) > MAX_LINE_BYTES:
            raise InputError(f"message longer than {MAX_LINE_BYTES} bytes")
        if line.isspace():
            return
        try:
            # values.loads, not orjson.loads: it keeps integers beyond 64 bits exact, so
            # the field that holds one refuses it by name instead of loading a float.
            message: Any = values.loads(line)
        except values.JSONTextError as exc:
            raise InputError(f"not valid JSON ({exc})") from None
        if type(message) is not dict:
            raise InputError("an Airbyte message must be a JSON object")
        kind = message.get("type")
        if kind == "RECORD":
            self.record(message, number)
        elif kind == "STATE":
            self.loader.state(self.counted(message))
        elif kind not in ("LOG", "TRACE", "CONTROL"):
            raise InputError(f"unknown Airbyte message type {kind!r}")

    def record(self, message: dict[str, Any], number: int) -> None:
        record = message.get("record")
        if type(record) is not dict or not isinstance(record.get("stream"), str):
            raise InputError("a RECORD message without record.stream")
        name = record["stream"]
        stream = self.streams.get(name)
        if stream is None:
            raise InputError("not a stream of the configured catalog", stream=name)
        data = record.get("data")
        if type(data) is not dict:
            raise InputError("record.data is not an object", stream=name)
        if not self.echo.decided:
            self.echo.decide(from_store=any(key.startswith(AIRBYTE_PREFIX) for key in data))
        data = stream.conform(data)
        stream.validator.validate(data)
        self.loader.add(name, stream.kind, data, number)
        self.counts[name] += 1

    def counted(self, message: dict[str, Any]) -> dict[str, Any]:
        """The STATE message with the count of records it covers."""
        state = message.get("state")
        if type(state) is not dict:
            raise InputError("a STATE message without a state object")
        stream = state.get("stream")
        descriptor = stream.get("stream_descriptor") if isinstance(stream, dict) else None
        name = descriptor.get("name") if isinstance(descriptor, dict) else None
        if state.get("type") == "STREAM" and isinstance(name, str):
            count = self.counts.pop(name, 0)
        else:
            count = sum(self.counts.values())
            self.counts.clear()
        return {**message, "state": {**state, "destinationStats": {"recordCount": float(count)}}}


def main() -> None:
    """The ``destination-ossit`` command."""
    launch(DestinationOssit())


if __name__ == "__main__":
    main()
