"""The tap-ossit Tap class: its settings, its streams and the one Ossit client they share.

Every stream is incremental on `updated_at` and sorted, so a run emits STATE as it goes
and an interrupted run resumes from its last STATE without missing a record; a catalog can
make a stream FULL_TABLE instead (read whole, with ACTIVATE_VERSION if asked for). Deleted
records are emitted as tombstones (`deleted_at` set) unless `include_deleted` is false.
All requests go through the shared, throttled `ossit_client`, which owns retries and
rate limits; what each stream cost is logged as METRIC lines (`tap_ossit.metrics`).
"""

from __future__ import annotations

import typing as t
import weakref
from functools import cached_property, partial

from ossit_client import OssitClient
from ossit_client.settings import (
    connection_setting_errors,
    settings_schema,
)
from ossit_schemas import RECORD_TYPES
from ossit_sync.command import run_command, settings_masked, start_command
from ossit_sync.reading.settings import READ_SETTINGS, read_setting_errors
from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_ossit._sdk import SdkTap
from tap_ossit.inputs import check_catalog, check_state
from tap_ossit.streams import STREAMS
from tap_ossit.writer import PageWriter

if t.TYPE_CHECKING:
    from tap_ossit.client import OssitStream

_OWN_SETTINGS = th.PropertiesList(
    th.Property(
        "emit_activate_version_messages",
        th.BooleanType,
        default=False,
        title="Emit ACTIVATE_VERSION messages",
        description=(
            "For streams synced FULL_TABLE (catalog metadata replication-method), version the "
            "records and announce the version, so a target such as target-postgres with "
            "hard_delete removes the rows the source no longer has."
        ),
    ),
    th.Property(
        "add_sdc_deleted_at",
        th.BooleanType,
        default=False,
        title="Add _sdc_deleted_at",
        description=(
            "Add Singer's deletion marker `_sdc_deleted_at` (a copy of deleted_at, null for "
            "live records) to every record and stream schema, for targets that act on it: "
            "target-duckdb with `hard_delete: true` deletes the row, MeltanoLabs "
            "target-postgres (0.8.1) keeps it with its `_sdc_deleted_at` column set."
        ),
    ),
).to_dict()

CONFIG_SCHEMA = settings_schema({**READ_SETTINGS, **_OWN_SETTINGS["properties"]})
"""The connection settings every Ossit connector takes, a read's, then the tap's own."""


INPUT_FILES = {"--config": "config", "--state": "state", "--catalog": "catalog"}
"""The command line's JSON files, by option."""

STOPPED = "tap-ossit stopped"
"""How the last line of a failed run starts."""

RESUME = "the last STATE it wrote is safe to resume from"


def _setting_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """Checks JSON Schema cannot express; each message names its setting."""
    return connection_setting_errors(config) + read_setting_errors(config)


def _chosen_replication_methods(catalog: object) -> dict[str, str]:
    """Stream -> the `replication-method` its catalog metadata chooses (Singer's key).

    Meltano writes it (`metadata: {points: {replication-method: FULL_TABLE}}`). singer-sdk
    0.54 reads only the entry's `replication_method` (INCREMENTAL in a discovered catalog)
    and `forced-replication-method`, its metadata parser drops this key: so it is taken
    from the catalog as passed, and wins over both (see `OssitStream.apply_catalog`).
    """
    if not isinstance(catalog, t.Mapping):
        return {}
    return {
        stream["tap_stream_id"]: entry["metadata"]["replication-method"]
        for stream in catalog.get("streams", [])
        for entry in stream.get("metadata", [])
        if entry.get("breadcrumb") == [] and entry.get("metadata", {}).get("replication-method")
    }


class TapOssit(SdkTap):
    """Singer tap for Ossit: statistic groups, statistics, series points and intervals."""

    # One line: `--about` shows this docstring as the tap's description, inside a template
    # it dedents, so a second (indented) line would turn the whole heading into a code block.

    name = "tap-ossit"
    config_jsonschema = CONFIG_SCHEMA
    message_writer_class = PageWriter

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run the tap; a failure ends the log with one line saying what to fix, exit 1.

        The SDK logs a traceback after the message (and, for settings, a bare "Config
        validation failed" last), which buries what an operator must read; the
        traceback is kept for ``TAP_OSSIT_LOGLEVEL=debug`` (or ``LOGLEVEL=debug``).
        SIGTERM and SIGINT stop the run after the page being written and its STATE
        (``ossit_sync.stopping``), and a reader of standard output that goes away
        stops it too: both are failures, for the run did not read everything.
        """
        run_command(
            partial(super().invoke, *args, **kwargs),
            cls.logger,
            STOPPED,
            stopped=lambda stop: f"{stop.signal_name} received; {RESUME}",
            explained={
                ConfigValidationError: lambda exc: "invalid setting: " + "; ".join(exc.errors)
            },
        )

    def __init__(self, *args: t.Any, validate_config: bool = True, **kwargs: t.Any) -> None:
        """The SDK's setup; then, unless told not to, what JSON Schema cannot check.

        All before any request: a bad setting stops the run naming it. Every message has
        the settings' secrets masked, the SDK's too: a check quotes the value it refuses,
        which may be the key pasted into another setting.
        """
        if kwargs.get("catalog") is not None:
            check_catalog(kwargs["catalog"])
        if kwargs.get("state") is not None:
            check_state(kwargs["state"])
        self.replication_methods = _chosen_replication_methods(kwargs.get("catalog"))
        with settings_masked(lambda: self.config, ConfigValidationError):
            super().__init__(*args, validate_config=validate_config, **kwargs)
            if validate_config and (errors := _setting_errors(self.config)):
                raise ConfigValidationError(
                    "Config validation failed", errors=errors, schema=self.config_jsonschema
                )

    @cached_property
    def api(self) -> OssitClient:
        """The run's one client, closed when the tap object goes (or the process ends).

        One client serves every stream: its session keeps the connection open, and its
        request budget (shared on disk with other processes) is opened once.
        """
        client = OssitClient.from_config(self.config)
        self._close_api = weakref.finalize(self, client.close)
        return client

    def close(self) -> None:
        """Close the client now (else when the tap object is collected; once either way).

        Whoever runs several taps in one process closes each when done: a client left to
        the garbage collector is closed at whatever moment the collector runs, possibly in
        a thread that holds the lock of the same budget file, which then waits forever.
        """
        if "api" in self.__dict__:
            self._close_api()

    @property
    def streams(self) -> dict[str, Stream]:
        """Streams in declaration order, parents first (the SDK sorts them by name).

        A target that writes what it reads into another domain needs each group before
        its statistics, and statistics before their points and intervals.
        """
        streams = super().streams
        return {name: streams[name] for name in RECORD_TYPES if name in streams}

    def discover_streams(self) -> list[OssitStream]:
        """One stream per declaration in `streams.STREAMS`."""
        return [stream_class(tap=self) for stream_class in STREAMS]


def main() -> None:
    """The ``tap-ossit`` command: the SDK's, its JSON files checked first (a file that is
    not JSON would end in the SDK's traceback, not in a line naming it)."""
    start_command(lambda: TapOssit.cli, INPUT_FILES, TapOssit.logger, STOPPED)
