"""target-ossit: loads Singer records into an Ossit domain, idempotently.

The Target owns what spans streams: which sink serves a stream (its kind), the order
of writes across sinks (input order, so parents come before children and a delete
is never overtaken), the one API client and the one thread that sends, and when a
STATE message may be passed on (only once every record before it has been
acknowledged by the API, see ``sender.py``).
"""

from __future__ import annotations

import copy
import logging
import signal
import sys
from collections.abc import Callable
from functools import cached_property
from types import FrameType
from typing import Any, NoReturn

from ossit_client import OssitClient
from ossit_client.settings import settings_schema
from ossit_schemas import RECORD_TYPES
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.mapper import SameRecordTransform, StreamMap
from singer_sdk.target_base import Target

from target_ossit.destination import Destination
from target_ossit.errors import InputError, UnknownStreamError
from target_ossit.reader import NumberedSingerReader
from target_ossit.replay import needs_stable_key
from target_ossit.sender import Sender
from target_ossit.sinks import SINKS, OssitSink

MAX_BATCH_SIZE = 1000
"""The API's limit of items per batch request."""


class TargetOssit(Target):
    """Singer target writing statistic groups, statistics, points and intervals to Ossit."""

    name = "target-ossit"
    message_reader_class = NumberedSingerReader

    config_jsonschema = settings_schema(
        th.PropertiesList(
            th.Property(
                "batch_size",
                th.IntegerType(minimum=1, maximum=MAX_BATCH_SIZE),
                default=MAX_BATCH_SIZE,
                description="Points or intervals sent per batch request (at most 1000).",
            ),
            th.Property(
                "stream_kinds",
                th.ObjectType(
                    additional_properties=th.StringType(allowed_values=list(RECORD_TYPES)),
                ),
                default={},
                description=(
                    "Kind of record of streams not named after one, e.g. "
                    '{"daily_kpis": "points"}; kinds: ' + ", ".join(RECORD_TYPES) + "."
                ),
            ),
            th.Property(
                "process_deletes",
                th.BooleanType,
                default=True,
                description="Delete the destination's object when a record has deleted_at set.",
            ),
            th.Property(
                "load_id",
                th.StringType,
                default="",
                description=(
                    "Mixed into the idempotency keys of add/subtract/increment/decrement batches: "
                    "a resume within 24 h with the same load_id applies each value once; give a "
                    "new load its own value to apply identical increments again."
                ),
            ),
        ).to_dict()["properties"]
    )
    """The connection settings every Ossit connector takes, then the target's own."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # One sink at a time, in input order: parents before children, one client.
        self.max_parallelism = 1
        self.destination = Destination(lambda: self.client)
        self._sender = Sender(super()._write_state_message)
        self._staging_sink: OssitSink | None = None
        self._batches_since_state = 0
        self._direct_sinks: dict[str, OssitSink] = {}
        self.message_reader.on_error = self._sender.settle

    @cached_property
    def client(self) -> OssitClient:
        """The API client, made on first use (``--about`` needs none)."""
        try:
            return OssitClient.from_config(self.config)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{exc}; fix the target's configuration") from exc

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Run the target; any failure ends in one readable line and a non-zero exit.

        The SDK's excepthook prints a traceback under the message, so the line that says
        what to fix is lost above it; the traceback is only logged at DEBUG level
        (``TARGET_OSSIT_LOGLEVEL=debug`` or ``LOGLEVEL=debug``).
        """
        try:
            super().invoke(*args, **kwargs)
        except ConfigValidationError as exc:
            _fail(cls.logger, exc, "invalid configuration: " + "; ".join(exc.errors))
        except (Exception, TerminatedError) as exc:
            _fail(cls.logger, exc, str(exc) or type(exc).__name__)

    def listen(self, file_input: Any = None) -> None:
        """Check the settings the client needs before reading any input, then load it."""
        _ = self.client  # a bad base_url or domain_key stops the run here, named as such
        super().listen(file_input)

    @property
    def line_number(self) -> int:
        """1-based number of the input line being handled."""
        return self.message_reader.line_number

    @cached_property
    def batch_size(self) -> int:
        """Records per batch: ``batch_size``, or the SDK's ``batch_size_rows`` if smaller."""
        size = self.config.get("batch_size") or MAX_BATCH_SIZE
        rows = self.config.get("batch_size_rows")
        return min(size, rows) if rows else size

    def get_sink_class(self, stream_name: str) -> type[OssitSink]:
        """The sink of the stream's kind: its own name, or what ``stream_kinds`` maps it to."""
        kind = (self.config.get("stream_kinds") or {}).get(stream_name, stream_name)
        if kind not in SINKS:
            msg = (
                f"unknown stream '{stream_name}': not one of {', '.join(RECORD_TYPES)}; "
                f'map it to one with the `stream_kinds` setting, e.g. {{"{stream_name}": "points"}}'
            )
            raise UnknownStreamError(msg, stream=stream_name)
        return SINKS[kind]

    def keep_input_order(self, sink: OssitSink) -> None:
        """Before a sink stages a record, send what other sinks staged before it.

        Writes then happen in input order: a statistic exists before its points, and a
        delete is never overtaken by an older write.  A tap sends its streams one after
        the other, so this costs a partial batch per stream switch, not per record.
        """
        if sink is self._staging_sink:
            return
        for other in self._all_sinks():
            if other is not sink:
                self.drain_one(other)
        self._staging_sink = sink

    @property
    def load_id(self) -> str:
        """The ``load_id`` setting (see ``replay``)."""
        return str(self.config.get("load_id") or "")

    def next_batch_position(self) -> int:
        """The index, since the last STATE, of the batch being handed over (see ``replay``)."""
        position = self._batches_since_state
        self._batches_since_state += 1
        return position

    def submit(self, send: Callable[[], None]) -> None:
        """Have a sink's batch sent, in input order, once the one before is acknowledged."""
        self._sender.submit(send)

    def _all_sinks(self) -> list[OssitSink]:
        return [*self._sinks_to_clear, *self._sinks_active.values()]  # type: ignore[list-item]

    def _process_schema_message(self, message_dict: dict) -> None:
        super()._process_schema_message(message_dict)
        self._direct_sinks = {
            name: sink
            for name, maps in self.mapper.stream_maps.items()
            if (sink := self._sinks_active.get(name)) is not None  # type: ignore[assignment]
            and _passes_through(maps, name)
            and not sink.include_sdc_metadata_properties
        }

    def _process_record_message(self, message_dict: dict) -> None:
        """Hand a record to its sink; streams the mapper leaves alone take a short path.

        The short path makes the SDK's calls that matter to our sinks (validation, key
        check, staging, drain when full, record count, age check) minus the copy, the
        no-op map transform and the no-op hooks of a stream without stream maps: that
        halves the target's own time per record.
        """
        sink = self._direct_sinks.get(message_dict.get("stream"))  # type: ignore[arg-type]
        record = message_dict.get("record")
        if sink is None or type(record) is not dict:
            super()._process_record_message(message_dict)
            return
        context = sink._pending_batch or sink._get_context(record)
        sink._remove_sdc_metadata_from_record(record)
        sink._validate_and_parse(record)
        sink._singer_validate_message(record)
        sink.tally_record_read()
        sink.process_record(record, context)
        sink.record_counter_metric.increment()
        if sink._batch_records_read >= self.batch_size:
            self.drain_one(sink)
        self._handle_max_record_age()

    def _process_batch_message(self, message_dict: dict) -> None:
        """Refuse BATCH messages: their records would bypass validation and staging."""
        msg = "BATCH messages are not supported; run the tap without its `batch_config`"
        raise InputError(msg, stream=message_dict.get("stream"))

    def _process_state_message(self, message_dict: dict) -> None:
        """Cut the batches here, and hold the state until they are acknowledged.

        No batch spans a STATE, so a run resumed from this state cuts the input after
        it into the same batches as this run did (see ``replay``).
        """
        self._assert_line_requires(message_dict, requires={"value"})
        state = message_dict["value"]
        if state == self._latest_state:
            return
        self._latest_state = state
        for sink in self._all_sinks():
            self.drain_one(sink)
        self._batches_since_state = 0
        self._sender.hold(copy.deepcopy(state))

    def _handle_max_record_age(self) -> None:
        """Never drain by age: batch boundaries depend on the input alone (see ``replay``).

        The SDK drains every sink once a record waited 5 minutes; a STATE is released
        once its batches are acknowledged, and batches are cut at every STATE, so a slow
        input holds no state back that a time-based drain would release sooner.
        """

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """On SIGTERM/SIGINT, send what is safe to send, pass on the last state, exit 1.

        The input was not read to its end, so the run did not load it: a zero exit
        would tell an orchestrator the load is complete and no resume is needed.
        """
        self._hold_back_unsafe_tail()
        self.logger.info("Received termination signal %d, draining all sinks...", signum)
        self.drain_all(is_endofpipe=True)
        self._sender.wait()
        name = signal.Signals(signum).name
        msg = (
            f"stopped by {name} at input line {self.line_number} before the end of the input; "
            "what the last state passed on covers is loaded: resume from that state"
        )
        raise TerminatedError(msg)

    def _hold_back_unsafe_tail(self) -> int:
        """Unstage add/subtract records read after the last STATE; how many there were.

        Such records are not covered by that state: the run resumed from it (the next
        run, for Meltano) reads them again and cuts them into batches at that STATE. Sent
        now, cut by a signal or by input that stopped short (a killed tap), the batch
        would not be the one the resume sends, the API could not tell it is a replay, and
        its values would count twice. Input that stops short cannot be told from input
        that is complete, so such records are applied only once a STATE follows them (or
        they fill a batch). ``set`` records and deletes are sent: harmless to repeat.
        """
        held_back = 0
        for sink in self._all_sinks():
            items = (sink._pending_batch or {}).get("items") or []
            if needs_stable_key(items):
                held_back += len(items)
                sink.start_batch(sink._pending_batch)  # type: ignore[arg-type]
        if held_back:
            self.logger.warning(
                "%d add/subtract/increment/decrement records after the last STATE were not "
                "sent: a run resumed from that state sends them exactly once.",
                held_back,
            )
        return held_back

    def _write_state_message(self, state: dict) -> None:
        # The SDK's drain_all writes the latest state once it has handed every sink's
        # batch over: the sender writes it once they are acknowledged.
        self._sender.write_now(state)

    def process_endofpipe(self) -> None:
        """Send what is left, pass on the last state, and close the client.

        Add records after the last STATE (a tap ends with a STATE, so such input was
        probably cut short) are left to the resume (see ``_hold_back_unsafe_tail``), and
        the run fails so that the resume happens.
        """
        try:
            held_back = self._hold_back_unsafe_tail()
            super().process_endofpipe()
            self._sender.wait()
            if held_back:
                msg = (
                    f"{held_back} add/subtract/increment/decrement records at the end of the "
                    "input have no STATE after them and were not applied (input cut short "
                    "cannot be told from complete input): resume from the last state passed "
                    "on, or end the input with a STATE message as every Singer tap does"
                )
                raise InputError(msg)
        finally:
            self._sender.close()
            if "client" in self.__dict__:
                self.client.close()


class TerminatedError(BaseException):
    """A termination signal stopped the run (not an ``Exception``: no input line is to blame)."""


class SettingsError(Exception):
    """A setting the client cannot work with (``domain_key``, ``base_url``...)."""


def _fail(logger: logging.Logger, exc: BaseException, message: str) -> NoReturn:
    """Log the traceback at DEBUG only, then ``message`` as the last line; exit 1."""
    logger.debug("Failure details", exc_info=exc)
    logger.error("target-ossit failed: %s", " ".join(message.split()))
    sys.exit(1)


def _passes_through(maps: list[StreamMap], stream_name: str) -> bool:
    """Whether the stream's records reach its sink unchanged (no stream map, no flattening)."""
    return (
        len(maps) == 1
        and type(maps[0]) is SameRecordTransform
        and maps[0].stream_alias == stream_name
        and not maps[0].flattening_enabled
    )


if __name__ == "__main__":
    TargetOssit.cli()
