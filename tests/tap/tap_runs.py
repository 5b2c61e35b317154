"""Tap runs in this process and their parsed output, shared by the tap tests' fixtures.

A module of its own (not conftest.py) so test modules can import it by a name no other
test folder uses.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from ossit_schemas import ORIGIN_FIELD
from tap_ossit.tap import TapOssit

STREAM_NAMES = ("statistic_groups", "statistics", "points", "intervals")


@dataclass
class TapOutput:
    """The Singer messages of one tap run, sorted by kind."""

    messages: list[dict[str, Any]]
    returncode: int = 0
    stderr: str = ""
    records: dict[str, list[dict[str, Any]]] = field(init=False)
    states: list[dict[str, Any]] = field(init=False)

    origins: set[str] = field(init=False)
    """The ``_ossit_origin`` of the records (taken out of each: tests compare API fields)."""

    def __post_init__(self) -> None:
        self.records = defaultdict(list)
        self.states = []
        self.origins = set()
        for message in self.messages:
            if message["type"] == "RECORD":
                record = dict(message["record"])
                self.origins.add(record.pop(ORIGIN_FIELD))  # every record names its origin
                self.records[message["stream"]].append(record)
            elif message["type"] == "STATE":
                self.states.append(message["value"])
        assert len(self.origins) <= 1, f"records of several origins: {self.origins}"

    @property
    def final_state(self) -> dict[str, Any]:
        """The last STATE the run emitted."""
        return self.states[-1]

    def ids(self, stream: str) -> set[str]:
        """Ids of the records emitted on one stream."""
        return {record["id"] for record in self.records.get(stream, [])}

    def id_sets(self) -> dict[str, set[str]]:
        """Ids emitted per stream, every stream present (empty when nothing was emitted)."""
        return {stream: self.ids(stream) for stream in STREAM_NAMES}


def _captured(run: Any) -> TapOutput:
    """The Singer messages `run()` writes to stdout."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(out):
        run()
    out.flush()
    lines = out.buffer.getvalue().splitlines()  # type: ignore[attr-defined]
    return TapOutput([json.loads(line) for line in lines])


def run_in_process(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
) -> TapOutput:
    """Sync with a TapOssit object in this process: the CLI's work without its start-up cost."""
    tap = TapOssit(config=dict(config), state=state, catalog=catalog)
    try:
        return _captured(tap.sync_all)
    finally:
        tap.close()
