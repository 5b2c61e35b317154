"""target-ossit: loads Singer records into an Ossit domain, idempotently.

A thin Singer adapter over the core's ``BatchLoader`` (``ossit_sync.loading``), which
owns batching, input order, the destination's cache and when a STATE may be passed on.
The Target owns the settings, which sink serves a stream (its kind), the client, and
how a run ends; every use of singer-sdk internals is in ``_sdk``.
"""

from __future__ import annotations

import sys
from functools import cached_property, partial
from typing import Any

from ossit_client import OssitClient
from ossit_client.settings import (
    connection_setting_errors,
    settings_schema,
)
from ossit_sync.command import run_command, settings_masked, start_command
from ossit_sync.loading import BatchLoader, held_back_error
from ossit_sync.loading.sender import SWITCH_INTERVAL_S
from ossit_sync.loading.settings import LOAD_SETTINGS, LoadOptions
from singer_sdk.exceptions import ConfigValidationError

from target_ossit._sdk import SdkTarget
from target_ossit.reader import NumberedSingerReader
from target_ossit.sinks import SINKS, OssitSink


class TargetOssit(SdkTarget):
    """Singer target writing statistic groups, statistics, points and intervals to Ossit."""

    name = "target-ossit"
    message_reader_class = NumberedSingerReader

    config_jsonschema = settings_schema(LOAD_SETTINGS)
    """The connection settings every Ossit connector takes, then the target's own."""

    def __init__(self, *args: Any, validate_config: bool = True, **kwargs: Any) -> None:
        """The SDK's setup; then, unless told not to, what JSON Schema cannot check.

        All before any input is read: a bad setting stops the run naming it. Every message
        has the settings' secrets masked, the SDK's too: a check quotes the value it
        refuses, which may be the key pasted into another setting.
        """
        with settings_masked(lambda: self.config, ConfigValidationError):
            super().__init__(*args, validate_config=validate_config, **kwargs)
            if validate_config and (errors := connection_setting_errors(self.config)):
                raise ConfigValidationError(
                    "Config validation failed", errors=errors, schema=self.config_jsonschema
                )
        # One sink at a time, in input order: parents before children, one client.
        self.max_parallelism = 1
        self.options = LoadOptions.from_config(self.config)
        self.loader = BatchLoader(
            lambda: self.client,
            self.write_state,
            batch_size=self.batch_size,
            load_id=self.options.load_id,
            process_deletes=self.options.process_deletes,
        )
        self.reader.on_error = self.loader.settle

    @cached_property
    def client(self) -> OssitClient:
        """The API client, made on first use (``--about`` needs none)."""
        try:
            return OssitClient.from_config(self.config)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{exc}; fix the target's configuration") from exc

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the target; any failure ends in one readable line and a non-zero exit.

        The traceback is only logged at DEBUG level (``TARGET_OSSIT_LOGLEVEL=debug`` or
        ``LOGLEVEL=debug``); see ``ossit_sync.command``. SIGTERM and SIGINT end the
        input between two lines (``reader``); a second one, or one while the end of
        the input is being sent, stops the run at once. Either is a failure: the input
        was not all loaded.
        """
        sys.setswitchinterval(SWITCH_INTERVAL_S)  # the process is the command line's
        run_command(
            partial(super().invoke, *args, **kwargs),
            cls.logger,
            FAILED,
            stopped=lambda stop: f"{stop} before the end of the input; {RESUME}",
            explained={
                ConfigValidationError: lambda exc: "invalid configuration: " + "; ".join(exc.errors)
            },
        )

    @cached_property
    def batch_size(self) -> int:
        """Records per batch: ``batch_size``, or the SDK's ``batch_size_rows`` if smaller."""
        size = self.options.batch_size
        rows = self.config.get("batch_size_rows")
        return min(size, rows) if rows else size

    def get_sink_class(self, stream_name: str) -> type[OssitSink]:
        """The sink of the stream's kind: its own name, or what ``stream_kinds`` maps it to."""
        return SINKS[self.options.kind_of(stream_name)]

    def process_endofpipe(self) -> None:
        """Send what is left, pass on the last state, and close the client.

        Add records after the last STATE (a tap ends with a STATE, so such input was
        probably cut short) are left to the resume (see ``BatchLoader.finish``), and the
        run fails so that the resume happens. So does input a stop signal ended early.
        """
        try:
            held_back = self.loader.hold_back_unsafe_tail()
            super().process_endofpipe()
            self.loader.finish()
            if (stop := self.reader.stopped) is not None:
                raise StoppedEarly(
                    f"{stop} after input line {self.line_number}, before the end of the "
                    f"input; {RESUME}"
                ) from stop
            if held_back:
                raise held_back_error(held_back)
        finally:
            for notice in self.loader.report.notices():
                self.logger.warning("%s", notice)
            self.loader.close()
            if "client" in self.__dict__:
                self.client.close()


FAILED = "target-ossit failed"
"""How the last line of a failed run starts."""

RESUME = "what the last state passed on covers is loaded: resume from that state"


class StoppedEarly(Exception):
    """A stop signal ended the input early; what came before it is loaded."""


class SettingsError(Exception):
    """A setting the client cannot work with (``domain_key``, ``base_url``...)."""


def main() -> None:
    """The ``target-ossit`` command: the SDK's, its config file checked first (a file that
    is not JSON would end in the SDK's traceback, not in a line naming it)."""
    start_command(lambda: TargetOssit.cli, {"--config": "config"}, TargetOssit.logger, FAILED)


if __name__ == "__main__":
    main()
