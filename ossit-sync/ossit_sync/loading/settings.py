"""The settings of a load (batching, which kind a stream loads as, deletes), defined once.

target-ossit and destination-ossit put ``LOAD_SETTINGS`` into their settings schema (after
the connection settings, see ``ossit_client.settings``) and read them through
``LoadOptions``, so a setting means the same in Meltano and in Airbyte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ossit_schemas import BATCH_SIZE_MAX, RECORD_TYPES

from ossit_sync.loading.errors import UnknownStreamError

LOAD_SETTINGS: dict[str, dict[str, Any]] = {
    "batch_size": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": BATCH_SIZE_MAX,
        "title": "Batch size",
        "default": BATCH_SIZE_MAX,
        "description": f"Points or intervals sent per batch request (at most {BATCH_SIZE_MAX}).",
    },
    "stream_kinds": {
        "type": ["object", "null"],
        "properties": {},
        "additionalProperties": {"type": ["string"], "enum": list(RECORD_TYPES)},
        "title": "Stream kinds",
        "default": {},
        "description": (
            "Kind of record of streams not named after one, e.g. "
            '{"daily_kpis": "points"}; kinds: ' + ", ".join(RECORD_TYPES) + "."
        ),
    },
    "process_deletes": {
        "type": ["boolean", "null"],
        "title": "Process deletes",
        "default": True,
        "description": "Delete the destination's object when a record has deleted_at set.",
    },
    "load_id": {
        "type": ["string", "null"],
        "title": "Load id",
        "default": "",
        "description": (
            "Names the load in the idempotency keys of add/subtract/increment/decrement "
            "batches. Unset: each run is a load of its own (the same push run twice applies "
            "twice). Set it to what your orchestrator keeps across a retry of one load (e.g. "
            "the date pushed): a resume within 24 h with the same load_id then applies each "
            "value exactly once."
        ),
    },
}
"""JSON Schema properties of a load's settings (``LoadOptions`` reads them)."""


@dataclass(frozen=True)
class LoadOptions:
    """What a load does: the connector settings of the same names."""

    batch_size: int = BATCH_SIZE_MAX
    stream_kinds: Mapping[str, str] = field(default_factory=dict)
    process_deletes: bool = True
    load_id: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoadOptions:
        """Options from connector settings (absent or null: the default)."""
        return cls(
            batch_size=config.get("batch_size") or BATCH_SIZE_MAX,
            stream_kinds=dict(config.get("stream_kinds") or {}),
            process_deletes=config.get("process_deletes") is not False,
            load_id=str(config.get("load_id") or ""),
        )

    def kind_of(self, stream: str) -> str:
        """The kind of record ``stream`` loads as: its own name, or its ``stream_kinds`` entry."""
        kind = self.stream_kinds.get(stream, stream)
        if kind not in RECORD_TYPES:
            msg = (
                f"unknown stream '{stream}': not one of {', '.join(RECORD_TYPES)}; map it to "
                f'one with the `stream_kinds` setting, e.g. {{"{stream}": "points"}}'
            )
            raise UnknownStreamError(msg, stream=stream)
        return kind
