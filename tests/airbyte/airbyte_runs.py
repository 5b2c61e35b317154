"""source-ossit and destination-ossit runs as processes, their output parsed and checked.

Every run goes through ``run_connector``, which checks what the protocol requires of any
output: each line of standard output is an Airbyte message (parsed strictly into the
protocol's own dataclasses), nothing else is printed there, and no spelling of a registered
domain key appears anywhere. A module of its own (not conftest.py) so test modules import
it by a name no other test folder uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import dacite
from airbyte_protocol_dataclasses.models import AirbyteMessage, AirbyteStateBlob
from ossit_client._masking import escaped_forms

STREAM_NAMES = ("statistic_groups", "statistics", "points", "intervals")
TIMEOUT = 300


@dataclass
class Run:
    """One connector run: its exit status, messages (parsed) and standard error."""

    returncode: int
    messages: list[dict[str, Any]]
    stderr: str
    stdout: bytes = b""
    """Standard output as printed (for checks of the exact bytes)."""
    records: dict[str, list[dict[str, Any]]] = field(init=False)
    states: list[dict[str, Any]] = field(init=False)
    destination_counts: list[dict[str, Any] | None] = field(init=False)

    def __post_init__(self) -> None:
        self.records = defaultdict(list)
        self.states = []
        self.destination_counts = []
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records[message["record"]["stream"]].append(message["record"]["data"])
            elif message["type"] == "STATE":
                state = dict(message["state"])
                # What a destination adds to a state it passes on, kept apart: ``states``
                # are then comparable with the states its input held.
                self.destination_counts.append(state.pop("destinationStats", None))
                self.states.append(state)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """The messages of one type, in order."""
        return [message for message in self.messages if message["type"] == kind]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The TRACE error messages."""
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    def statuses(self, stream: str) -> list[str]:
        """The stream's STREAM_STATUS trace statuses, in order."""
        return [
            m["trace"]["stream_status"]["status"]
            for m in self.of_type("TRACE")
            if m["trace"]["type"] == "STREAM_STATUS"
            and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
        ]

    def counts(self) -> dict[str, int]:
        """Records per stream."""
        return {stream: len(self.records.get(stream, [])) for stream in STREAM_NAMES}

    def last_states(self) -> list[dict[str, Any]]:
        """The last STATE of each stream, as a state file for the next run holds them."""
        last: dict[str, dict[str, Any]] = {}
        for state in self.states:
            last[state["stream"]["stream_descriptor"]["name"]] = state
        return list(last.values())

    def type_counts(self) -> Counter[str]:
        return Counter(message["type"] for message in self.messages)


_STRICT = dacite.Config(
    cast=[Enum],
    strict=True,
    # A state blob is free-form JSON (the protocol declares no fields for it): any object.
    type_hooks={
        AirbyteStateBlob: lambda blob: AirbyteStateBlob() if isinstance(blob, dict) else blob
    },
)


def parse_message(line: str) -> dict[str, Any]:
    """One output line as JSON, after checking it is an ``AirbyteMessage`` of the protocol."""
    message = json.loads(line)
    assert isinstance(message, dict), line
    wire = dict(message)
    if isinstance(wire.get("state"), dict) and "global" in wire["state"]:  # a keyword's escape
        wire["state"] = {**wire["state"], "global_": wire["state"]["global"]}
        del wire["state"]["global"]
    dacite.from_dict(AirbyteMessage, wire, config=_STRICT)
    assert message["type"] in {"RECORD", "STATE", "LOG", "TRACE", "SPEC", "CATALOG",
                               "CONNECTION_STATUS"}, line  # fmt: skip
    return message


def run_connector(
    command: str,
    *args: str,
    stdin: bytes | None = None,
    secrets: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``command`` (``source-ossit`` or ``destination-ossit``) and check its output."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name(command)), *args],
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
        check=False,
    )
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    for secret in secrets:
        for form in escaped_forms(secret):
            assert form not in stdout and form not in stderr, "a domain key was printed"
    messages = [parse_message(line) for line in stdout.splitlines()]
    return Run(done.returncode, messages, stderr, done.stdout)


def write_json(path: Path, value: Any) -> str:
    """Write ``value`` as JSON at ``path``; the path as a string, for a command line."""
    path.write_text(json.dumps(value))
    return str(path)


def configured_catalog(
    streams: tuple[str, ...] = STREAM_NAMES,
    *,
    sync_mode: str = "incremental",
    destination_sync_mode: str = "append_dedup",
    schemas: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A configured catalog of ``streams`` (schemas: the ones source-ossit discovers, unless
    given)."""
    from source_ossit.source import catalog

    discovered = {stream.name: stream.json_schema for stream in catalog().streams}

    return {
        "streams": [
            {
                "stream": {
                    "name": name,
                    "json_schema": (schemas or {}).get(name) or discovered[name],
                    "supported_sync_modes": ["full_refresh", "incremental"],
                    "source_defined_cursor": True,
                    "default_cursor_field": ["updated_at"],
                    "source_defined_primary_key": [["id"]],
                },
                "sync_mode": sync_mode,
                "destination_sync_mode": destination_sync_mode,
                "cursor_field": ["updated_at"],
                "primary_key": [["id"]],
            }
            for name in streams
        ]
    }


@dataclass
class Files:
    """Config, catalog and state files of runs, in one test's temporary folder."""

    folder: Path
    _count: int = 0

    def json(self, value: Any, name: str = "file") -> str:
        """A new file holding ``value`` as JSON."""
        self._count += 1
        return write_json(self.folder / f"{name}-{self._count}.json", value)
