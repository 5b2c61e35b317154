"""Input the target must refuse without acting on it, each failure named in one last line.

A SCHEMA message is untrusted: its ``$ref``s must never make the target open a URL or a
file.  Values given as text must be JSON numbers.  Failures on the sender thread must name
their own batch.  Every failure ends stderr with one readable line and no traceback.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ossit_schemas
import pytest
from target_records import SOURCE_ORIGIN

DEEP = 300


def last_line(stderr: str) -> str:
    """The last non-empty line of a run's stderr."""
    return [line for line in stderr.splitlines() if line.strip()][-1]


def assert_one_readable_failure(run: Any, *words: str) -> None:
    """Exit 1, no traceback, and the last line says every one of ``words``."""
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    line = last_line(run.stderr)
    assert "target-ossit failed:" in line
    for word in words:
        assert word in line, line


class _Recorder(http.server.BaseHTTPRequestHandler):
    contacted: list[str]

    def do_GET(self) -> None:
        self.contacted.append(self.path)
        body = b'{"type": "number"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    """A schema server on 127.0.0.1 that records every request: (its URL, the paths asked)."""
    contacted: list[str] = []
    handler = type("Handler", (_Recorder,), {"contacted": contacted})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", contacted
    server.shutdown()
    server.server_close()


def _schema_with(ref_holder: dict[str, Any]) -> dict[str, Any]:
    schema = ossit_schemas.record_schema("points")
    schema["properties"]["value"] = ref_holder
    return schema


@pytest.mark.parametrize(
    "shape",
    [
        "{url}/value.json",
        "{url}/value.json#/x",
        "//127.0.0.1:{port}/value.json",
        "{file}",
        "{file}#/type",
        "value.json",
        "id-relative",
        "ftp://127.0.0.1/value.json",
    ],
)
def test_a_non_local_ref_is_refused_without_being_fetched(
    shape: str,
    recorder: tuple[str, list[str]],
    tmp_path: Path,
    singer: Any,
    point: Any,
    target_cli: Any,
    destination: Any,
) -> None:
    url, contacted = recorder
    local = tmp_path / "value.json"
    local.write_text('{"type": "number"}')
    if shape == "id-relative":
        # A relative reference that the document's $id would make remote.
        holder = {"$id": f"{url}/base/", "$ref": "value.json"}
    else:
        ref = shape.format(url=url, port=url.rsplit(":", 1)[1], file=local.as_uri())
        holder = {"$ref": ref}
    singer.schema("points")
    singer.record("points", point("g", "s", 1, 1.0))
    singer.state({"points": 1})
    line = singer.schema("kpis", _schema_with(holder), keys=[])
    singer.record("kpis", point("g", "s", 2, 1.0))

    run = target_cli.run(singer.write(), stream_kinds={"kpis": "points"})

    assert contacted == []
    assert_one_readable_failure(run, "stream 'kpis'", f"input line {line}", "$ref")
    assert run.states == [{"points": 1}]
    assert len(destination.points()) == 1


def test_a_local_ref_is_resolved_inside_the_message(
    singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    schema = _schema_with({"$ref": "#/definitions/amount"})
    schema["definitions"] = {"amount": {"type": "number"}}
    singer.schema("points", schema)
    singer.record("points", point("g", "s", 1, 2.5))
    bad = singer.record("points", {**point("g", "s", 2, 1.0), "value": "x"})

    run = target_cli.run(singer.write())

    assert_one_readable_failure(run, "stream 'points'", f"input line {bad}", "field 'value'")


@pytest.mark.parametrize(
    "text",
    ["1_000", "\uff11\uff10", "\u0663", "\u0967\u0968", " 1 ", "1 ", "inf", "-Infinity", "nan",
     "NaN", "+1", "0x10", "1e999", "", "1.", ".5"],
)  # fmt: skip
def test_a_value_as_text_must_be_a_json_number(
    text: str, singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    schema = {"type": "object", "properties": {}}
    singer.schema("kpis", schema, keys=[])
    singer.record("kpis", {**point("g", "s", 1, 0.0), "value": "7"})
    bad = singer.record("kpis", {**point("g", "s", 2, 0.0), "value": text})

    run = target_cli.run(singer.write(), stream_kinds={"kpis": "points"})

    assert_one_readable_failure(run, "stream 'kpis'", f"input line {bad}", "field 'value'")
    assert destination.points() == {}


def test_values_in_json_number_form_are_loaded(
    singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    singer.schema("kpis", {"type": "object", "properties": {}}, keys=[])
    # A decimal is read as the nearest double; an integer is kept exactly (9007199254740993,
    # which no double holds, is refused: tests/target/test_target_numbers_and_times.py).
    for day, text in enumerate(["0", "-1.5", "2e3", "1E-2", "1.2345678901234567890e19"]):
        singer.record("kpis", {**point("g", "s", day, 0.0), "value": text})
    singer.state({"done": True})

    run = target_cli.run(singer.write(), stream_kinds={"kpis": "points"})

    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(destination.points().values()) == [-1.5, 0.0, 0.01, 2000.0, 1.2345678901234567e19]


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_interval_metadata_too_deep_to_send_names_its_stream_line_and_field(
    singer: Any, point: Any, target_cli: Any, destination: Any
) -> None:
    singer.schema("points")
    singer.schema("intervals", {"type": "object", "properties": {}})
    for day in range(3):
        singer.record("points", point("g", "s", day, 1.0))
    singer.state({"points": 3})
    interval = {
        "id": "int_1",
        "_ossit_origin": SOURCE_ORIGIN,
        "group": "g",
        "type": "run",
        "start": "2025-01-01T00:00:00Z",
        "metadata": _deep(DEEP),
    }
    bad = singer.record("intervals", interval)
    singer.record("points", point("g", "s", 9, 1.0))

    run = target_cli.run(singer.write())

    assert_one_readable_failure(run, "stream 'intervals'", f"input line {bad}", "field 'metadata'")
    assert run.states == [{"points": 3}]
    assert len(destination.points()) == 3


def test_an_unexpected_error_on_the_sender_thread_names_its_batch(
    singer: Any, point: Any, target_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error that is no ``OssitError`` (here a record the API client cannot encode, a
    metadata check bypassed by a subclass) is located on its batch, not on a later line."""
    from ossit_sync.loading import items

    # The check on arrival is what normally stops this; without it the sender must still
    # name the batch (this runs the loader in-process: no CLI needed for the sender thread).
    monkeypatch.setattr(items, "_check_encodable", lambda metadata, stream: None)
    from target_ossit.errors import LoadError
    from target_ossit.target import TargetOssit

    singer.schema("intervals", {"type": "object", "properties": {}})
    first = singer.record(
        "intervals",
        {"id": "i1", "group": "g", "type": "run", "start": "2025-01-01T00:00:00Z",
         "metadata": _deep(DEEP), "_ossit_origin": SOURCE_ORIGIN},
    )  # fmt: skip
    singer.schema("points")
    singer.record("points", point("g", "s", 1, 1.0))
    path = singer.write()
    target = TargetOssit(config=target_cli.config, validate_config=True)
    try:
        with path.open() as stream, pytest.raises(LoadError) as caught:
            target.listen(stream)
    finally:  # the run stopped before its end of pipe, which closes these
        target.loader.close()
        target.client.close()
    assert caught.value.stream == "intervals"
    assert caught.value.line == first
    assert f"input line {first}" in str(caught.value)


def test_a_closed_port_fails_in_one_line(singer: Any, point: Any, target_cli: Any) -> None:
    """Connection refused is retried (about a minute of backoff), then named in one line."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    singer.schema("points")
    line = singer.record("points", point("g", "s", 1, 1.0))
    singer.state({"points": 1})

    run = target_cli.run(singer.write(), base_url=f"http://127.0.0.1:{port}")

    assert_one_readable_failure(run, "stream 'points'", f"input line {line}", "connection")
    assert run.states == []


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"domain_key": None}, ["invalid configuration", "domain_key"]),
        ({"base_url": "ftp://127.0.0.1"}, ["base_url"]),
        ({"base_url": "http://"}, ["base_url"]),
        ({"domain_key": "bad\u0001key"}, ["domain_key"]),
        ({"domain_key": "not-a-key-of-this-sandbox"}, ["domain key", "stream 'points'"]),
        ({"batch_size": 5000}, ["invalid configuration", "batch_size"]),
    ],
)
def test_a_settings_error_fails_in_one_readable_line(
    settings: dict[str, Any], words: list[str], singer: Any, point: Any, target_cli: Any
) -> None:
    singer.schema("points")
    singer.record("points", point("g", "s", 1, 1.0))
    singer.state({"points": 1})
    config = {k: v for k, v in settings.items() if v is not None}
    if settings.get("domain_key", "") is None:
        target_cli.config = {k: v for k, v in target_cli.config.items() if k != "domain_key"}

    run = target_cli.run(singer.write(), **config)

    assert_one_readable_failure(run, *words)
    assert "bad\u0001key" not in run.stderr


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('{"type": "RECORD", "stream": ', ["input line 2", "not valid JSON"]),
        ("[1, 2]", ["input line 2", "JSON object"]),
        ('{"type": "SCHEMA", "stream": "nope", "schema": {"type": "object", "properties": {}},'
         ' "key_properties": []}', ["stream 'nope'", "input line 2", "stream_kinds"]),
    ],
)  # fmt: skip
def test_a_malformed_line_fails_in_one_readable_line(
    line: str, words: list[str], singer: Any, target_cli: Any
) -> None:
    singer.schema("points")
    singer.add(line)

    run = target_cli.run(singer.write())

    assert_one_readable_failure(run, *words)


def test_a_422_fails_in_one_readable_line(singer: Any, point: Any, target_cli: Any) -> None:
    schema = ossit_schemas.record_schema("points")
    del schema["properties"]["reference_date"]["format"]
    singer.schema("points", schema)
    bad = singer.record("points", {**point("g", "s", 1, 1.0), "reference_date": "2025-02-30"})

    run = target_cli.run(singer.write())

    assert_one_readable_failure(
        run, "stream 'points'", f"input line {bad}", "field 'reference_date'", "refused by the API"
    )


def test_the_traceback_is_logged_at_debug_level(singer: Any, target_cli: Any) -> None:
    singer.schema("points")
    singer.add("not json")
    target_cli.env["TARGET_OSSIT_LOGLEVEL"] = "DEBUG"

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    assert "Traceback" in run.stderr
    assert "not valid JSON" in last_line(run.stderr)
