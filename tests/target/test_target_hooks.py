"""What the target's shortcuts through singer-sdk keep: the public hooks and the checks.

The target hands records of streams without stream maps to their sink by a short path
(``_sdk.SdkTarget._process_record_message``); a stream map sends them through the SDK's
own. A sink written against singer-sdk's documented hooks (``start_batch``,
``preprocess_record``, ``process_record``) must behave the same on both. The target also
reads its input with a loop of its own (``_sdk.SdkReader``), which still makes the SDK's
check of every message.
"""

from __future__ import annotations

from typing import Any

import ossit_schemas
import pytest
from target_ossit.sinks import SINKS, OssitSink
from target_ossit.target import TargetOssit

PointsSink = SINKS["points"]  # one class per kind, made from ossit_schemas.KINDS


class DoublingPointsSink(PointsSink):
    """Loads every point with twice its value, and notes what its hooks were given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[dict[str, Any]] = []
        self.contexts: list[dict[str, Any]] = []
        self.processed: list[dict[str, Any]] = []

    def start_batch(self, context: dict) -> None:
        self.batches.append(context)

    def preprocess_record(self, record: dict, context: dict) -> dict:
        self.contexts.append(context)
        return {**record, "value": record["value"] * 2}

    def process_record(self, record: dict, context: dict) -> None:
        self.processed.append(record)
        super().process_record(record, context)


class HookedTarget(TargetOssit):
    """target-ossit with the sink above for points: what a user's subclass would do."""

    def get_sink_class(self, stream_name: str) -> type[OssitSink]:
        kind_sink = super().get_sink_class(stream_name)
        return DoublingPointsSink if kind_sink is PointsSink else kind_sink


@pytest.mark.parametrize(
    ("stream", "settings", "short_path"),
    [
        ("points", {}, True),
        ("kpis", {"stream_maps": {"kpis": {"__alias__": "points"}}}, False),
    ],
    ids=["without stream maps", "with a stream map"],
)
def test_preprocess_record_and_the_batch_hooks_run_on_every_record(
    stream: str,
    settings: dict[str, Any],
    short_path: bool,
    singer: Any,
    point: Any,
    target_cli: Any,
    destination: Any,
) -> None:
    singer.schema(stream, ossit_schemas.stream_schema("points"))
    records = [point("g", "s", day, day + 0.5) for day in range(5)]
    for record in records:
        singer.record(stream, record)
    singer.state({"done": True})
    target = HookedTarget(config={**target_cli.config, **settings})

    with singer.write().open() as lines:
        target.listen(lines)

    sink = target.get_sink("points")
    assert isinstance(sink, DoublingPointsSink)
    assert ("points" in target._direct_sinks) is short_path
    assert len(sink.batches) == 1
    assert "batch_id" in sink.batches[0]
    assert sink.contexts == [sink.batches[0]] * len(records)
    assert [r["value"] for r in sink.processed] == [r["value"] * 2 for r in records]
    assert destination.points() == {
        ("g", "s", r["reference_date"]): r["value"] * 2 for r in records
    }


def test_a_record_preprocess_record_makes_invalid_is_refused_naming_its_line(
    singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    """The key check comes after the hook, as in the SDK: it checks what gets loaded."""

    class KeyDroppingSink(PointsSink):
        def preprocess_record(self, record: dict, context: dict) -> dict:
            return {k: v for k, v in record.items() if k != "group" or record["value"] < 3}

    class KeyDroppingTarget(TargetOssit):
        def get_sink_class(self, stream_name: str) -> type[OssitSink]:
            return KeyDroppingSink

    singer.schema("points", keys=["group", "statistic", "reference_date"])
    lines = [singer.record("points", point("g", "s", day, float(day))) for day in range(5)]
    target = KeyDroppingTarget(config=target_cli.config)

    with singer.write().open() as stream, pytest.raises(Exception, match="input line") as caught:
        try:
            target.listen(stream)
        finally:  # the run stopped before its end of pipe, which closes these
            target.loader.close()
            target.client.close()

    assert f"input line {lines[3]}" in str(caught.value)
    assert "field 'group'" in str(caught.value)


def test_a_message_without_a_type_is_refused_naming_its_line(singer: Any, target_cli: Any) -> None:
    singer.schema("points")
    line = singer.add({"stream": "points", "record": {}})

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    assert f"input line {line}: not a Singer message: no `type` key" in run.stderr
