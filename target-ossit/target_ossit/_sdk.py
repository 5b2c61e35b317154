"""Every use of singer-sdk internals in target-ossit, in one place, each guarded.

The SDK has no public hook for what these do: validate records with a compiled
validator, hand records to the loader without the per-record copy, cut batches at every
STATE and never by age, refuse BATCH messages, release states through the loader, read
the input a line at a time knowing each line's number, and leave the process's signals
to the command line. Each private method replaced or called here is listed in
``REPLACED`` with the hash of its source in the singer-sdk version this was written
against, and each private SDK attribute read or set here in ``ATTRIBUTES`` with the SDK
function that defines it (itself in ``REPLACED``); ``tests/test_sdk_guard.py`` fails
when the SDK changes one, and when a private SDK name is used anywhere else in the
connector, so an upgrade is a deliberate review of this file, never a silent change of
behaviour.

The public per-record hooks of a sink (``preprocess_record``, ``start_batch``,
``process_record``) run on every record, whichever path it takes; ``tests/target``
tests it.
"""

from __future__ import annotations

import abc
import copy
from typing import IO, TYPE_CHECKING, Any, cast

from ossit_sync import loading
from ossit_sync.loading import RecordValidator
from ossit_sync.stopping import whole
from singer_sdk.exceptions import InvalidJSONSchema, InvalidRecord
from singer_sdk.io_base import GenericSingerReader
from singer_sdk.mapper import SameRecordTransform, StreamMap
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.sinks import BatchSink
from singer_sdk.sinks.core import BaseJSONSchemaValidator
from singer_sdk.target_base import Target

from target_ossit.errors import InputError, InvalidLineError, MissingKeyError

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Callable, Iterable

    from ossit_sync.loading import BatchLoader

    from target_ossit.reader import NumberedSingerReader

REPLACED: dict[str, str] = {
    # replaced
    "singer_sdk.sinks.core:Sink._validate_and_parse": "970aadabcc4da8c7",
    "singer_sdk.sinks.core:Sink._remove_sdc_metadata_from_record": "7cd9e5fb192f13ec",
    "singer_sdk.sinks.core:Sink._singer_validate_message": "018b08ee7f624f61",
    "singer_sdk.sinks.core:Sink.is_full": "662da81db8ad2d5a",
    "singer_sdk.target_base:Target._write_state_message": "bf40aa5e36ebef4d",
    "singer_sdk.target_base:Target._process_schema_message": "ed6e8449bc8ff234",
    "singer_sdk.target_base:Target._process_record_message": "08aaf4096e2d39e7",
    "singer_sdk.target_base:Target._process_batch_message": "f26fbe519745daf2",
    "singer_sdk.target_base:Target._process_state_message": "e27158e2b1e7ea6d",
    "singer_sdk.target_base:Target._handle_max_record_age": "5762750ab1035404",
    "singer_sdk.plugin_base:PluginBase._setup_signal_handlers": "eb4287001bdd7d19",
    "singer_sdk.io_base:GenericSingerReader.process_lines": "f6d848854616d1d8",
    "singer_sdk.io_base:GenericSingerReader._process_unknown_message": "8798370ec9695cdb",
    # called
    "singer_sdk.plugin_base:BaseSingerReader._assert_line_requires": "f6e8d2627b01de71",
    "singer_sdk.sinks.batch:BatchSink._get_context": "4e0d39040097dc9b",
    # relied on: writes the latest state through _write_state_message after draining
    "singer_sdk.target_base:Target.drain_all": "1da0109210d345c4",
    # define the attributes in ATTRIBUTES
    "singer_sdk.target_base:Target.__init__": "8bd68db7b870726f",
    "singer_sdk.sinks.core:Sink.__init__": "8013bcca4771f0ee",
}
"""SDK function (``module:qualname``) -> sha256 prefix of its source when this was written."""

ATTRIBUTES: dict[str, str] = {
    "_latest_state": "singer_sdk.target_base:Target.__init__",
    "_validator": "singer_sdk.sinks.core:Sink.__init__",
}
"""Private SDK attribute used here -> the SDK function (in ``REPLACED``) that sets it."""


_SDC_FIELDS = frozenset(
    (
        "_sdc_extracted_at",
        "_sdc_received_at",
        "_sdc_batched_at",
        "_sdc_deleted_at",
        "_sdc_sequence",
        "_sdc_table_version",
        "_sdc_sync_started_at",
    )
)


class SdkReader(GenericSingerReader[str]):
    """The SDK's message reader, its loop over the input handed to ``read_lines``.

    The SDK's loop neither numbers the lines nor lets a stop signal end the input between
    two of them: ``reader.NumberedSingerReader.read_lines`` does both, and hands each
    message to ``dispatch``, which makes the SDK's check and calls the SDK's callback.
    """

    def process_lines(
        self,
        file_input: IO[str] | None,
        callbacks: dict[str, Callable[[dict], None]],
    ) -> Counter[str]:
        """Dispatch every message of the input; how many of each type."""
        return self.read_lines(file_input or self.default_input, callbacks)

    @abc.abstractmethod
    def read_lines(
        self, lines: Iterable[str], callbacks: dict[str, Callable[[dict], None]]
    ) -> Counter[str]:
        """Parse every line and ``dispatch`` its message; how many of each type."""

    def dispatch(
        self, message: dict[str, Any], callbacks: dict[str, Callable[[dict], None]]
    ) -> str:
        """Hand a message to its type's callback, as the SDK's loop does; its type.

        The SDK's check comes first: a message without ``type`` is refused, named so.
        """
        requires = {"type"}
        try:
            self.assert_line_requires(message, requires=requires)
        except InvalidInputLine:
            missing = ", ".join(f"`{key}`" for key in sorted(requires - message.keys()))
            msg = f"not a Singer message: no {missing} key"
            raise InvalidLineError(msg) from None
        message_type = message["type"]
        callback = callbacks.get(message_type) if isinstance(message_type, str) else None
        if callback is None:
            self._process_unknown_message(message)
        else:
            callback(message)
        return message_type

    def _process_unknown_message(self, message_dict: dict) -> None:
        """Refuse a message whose ``type`` is not a Singer message type, as an input error
        (the SDK's is a bare ``ValueError``)."""
        msg = f"unknown Singer message type {message_dict.get('type')!r}"
        raise InvalidLineError(msg)


class SchemaRefused(loading.InvalidSchemaError, InvalidJSONSchema):
    """The core's ``InvalidSchemaError``, as the SDK's validator interface raises it."""


class RecordRefused(loading.InvalidRecordError, InvalidRecord):
    """The core's ``InvalidRecordError``, as the SDK's validator interface raises it."""


class FastValidator(BaseJSONSchemaValidator):
    """The SDK's validator interface over the core's compiled ``RecordValidator``.

    Its errors are the core's, and the SDK's its interface promises (``InvalidJSONSchema``,
    ``InvalidRecord``): whoever catches either catches them.
    """

    def __init__(self, schema: dict[str, Any], *, stream: str) -> None:
        super().__init__(schema)
        try:
            self.compiled = RecordValidator(schema, stream=stream)
        except loading.InvalidSchemaError as exc:
            raise SchemaRefused(exc.reason, stream=stream, field=exc.field) from None

    def validate(self, record: dict[str, Any]) -> None:
        """Raise ``InvalidRecordError`` naming the first field that breaks the schema."""
        try:
            self.compiled.validate(record)
        except loading.InvalidRecordError as exc:
            raise RecordRefused(exc.reason, stream=exc.stream, field=exc.field) from None


class SdkSink(BatchSink):
    """The SDK's per-record checks, made cheap; batching is the loader's, not the SDK's."""

    loader: BatchLoader

    def get_validator(self) -> FastValidator | None:
        """A compiled validator: same checks as the SDK's, a fraction of the time."""
        return FastValidator(self.schema, stream=self.stream_name) if self.validate_schema else None

    @property
    def is_full(self) -> bool:
        """Never: the loader decides when a batch is full (``BatchLoader.add``)."""
        return False

    def _validate_and_parse(self, record: dict) -> dict:
        # The SDK's version also turns date strings into datetime objects, which the API
        # wants back as the same strings; the validator has checked their format.
        if self._validator is not None:
            self._validator.validate(record)
        return record

    def _remove_sdc_metadata_from_record(self, record: dict) -> None:
        # Same effect as the SDK's seven pops, at the cost of one check for most records.
        if not _SDC_FIELDS.isdisjoint(record):
            super()._remove_sdc_metadata_from_record(record)

    def _singer_validate_message(self, record: dict) -> None:
        for name in self.key_properties:
            if name not in record:
                msg = f"key property missing (key properties: {list(self.key_properties)})"
                raise MissingKeyError(msg, stream=self.stream_name, field=name)


class SdkTarget(Target):
    """The SDK's message handling, redirected to the loader (``self.loader``)."""

    loader: BatchLoader

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._direct_sinks: dict[str, SdkSink] = {}

    @property
    def reader(self) -> NumberedSingerReader:
        """The message reader, which knows the input line being handled."""
        return cast("NumberedSingerReader", self.message_reader)

    @property
    def line_number(self) -> int:
        """1-based number of the input line being handled."""
        return self.reader.line_number

    def write_state(self, state: dict[str, Any]) -> None:
        """Pass a state on (to stdout), as the SDK does; called once it is safe.

        Whole: a stop signal waits for the end of the line (``ossit_sync.stopping``).
        """
        with whole():
            super()._write_state_message(state)

    def _setup_signal_handlers(self) -> None:
        """None: the SDK takes SIGTERM and SIGINT over whenever a Target object is made.

        Its handler drains the sinks wherever the signal lands (inside a batch being
        handed over too) and exits 0. The command line installs ours instead
        (``TargetOssit.invoke``), and a target object made in another program changes
        nothing of that program.
        """

    def _write_state_message(self, state: dict) -> None:
        # The SDK's drain_all writes the latest state once it has handed every sink's
        # batch over: the loader writes it once they are acknowledged.
        self.loader.write_state_now(state)

    def _process_schema_message(self, message_dict: dict) -> None:
        super()._process_schema_message(message_dict)
        self._direct_sinks = {
            name: sink
            for name, maps in self.mapper.stream_maps.items()
            if self.sink_exists(name)
            and isinstance(sink := self.get_sink(name), SdkSink)
            and _passes_through(maps, name)
            and not sink.include_sdc_metadata_properties
        }

    def _process_record_message(self, message_dict: dict) -> None:
        """Hand a record to its sink; streams the mapper leaves alone take a short path.

        The short path makes the SDK's calls, in the SDK's order, minus the copy of the
        record, the no-op map transform, the sink lookup and the debug log line of a
        stream without stream maps: that halves the target's own time per record. The
        sink's public hooks all run, as on the SDK's path: ``start_batch`` (through the
        batch context), ``preprocess_record`` and ``process_record``.
        """
        sink = self._direct_sinks.get(message_dict.get("stream"))  # type: ignore[arg-type]
        record = message_dict.get("record")
        if sink is None or type(record) is not dict:
            super()._process_record_message(message_dict)
            return
        context = sink._get_context(record)
        sink._remove_sdc_metadata_from_record(record)
        sink._validate_and_parse(record)
        record = sink.preprocess_record(record, context)
        sink._singer_validate_message(record)
        sink.tally_record_read()
        sink.process_record(record, context)
        sink.record_counter_metric.increment()

    def _process_batch_message(self, message_dict: dict) -> None:
        """Refuse BATCH messages: their records would bypass validation and staging."""
        msg = "BATCH messages are not supported; run the tap without its `batch_config`"
        raise InputError(msg, stream=message_dict.get("stream"))

    def _process_state_message(self, message_dict: dict) -> None:
        """Cut the batch here, and hold the state until the batches before it are acknowledged."""
        self._assert_line_requires(message_dict, requires={"value"})
        state = message_dict["value"]
        if state == self._latest_state:
            return
        self._latest_state = state
        self.loader.state(copy.deepcopy(state))

    def _handle_max_record_age(self) -> None:
        """Never drain by age: batch boundaries depend on the input alone (see ``loader``)."""


def _passes_through(maps: list[StreamMap], stream_name: str) -> bool:
    """Whether the stream's records reach its sink unchanged (no stream map, no flattening)."""
    return (
        len(maps) == 1
        and type(maps[0]) is SameRecordTransform
        and maps[0].stream_alias == stream_name
        and not maps[0].flattening_enabled
    )
