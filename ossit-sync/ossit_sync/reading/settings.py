"""The settings of a read (what it covers, where a first run starts), defined once.

tap-ossit and source-ossit put ``READ_SETTINGS`` into their settings schema (after the
connection settings, see ``ossit_client.settings``) and check them with
``read_setting_errors``, so a setting means the same in Meltano and in Airbyte. Plain
JSON Schema: a Singer ``config_jsonschema`` and an Airbyte connection specification both
are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ossit_schemas import PAGE_SIZE_MAX, values

READ_SETTINGS: dict[str, dict[str, Any]] = {
    "start_date": {
        "type": ["string", "null"],
        "format": "date-time",
        "title": "Start date",
        "description": (
            "On a first run, read only records changed at or after this ISO 8601 time. "
            "Later runs start from their bookmark (or from this date, if later)."
        ),
    },
    "groups": {
        "type": ["array", "null"],
        "items": {"type": ["string"], "minLength": 1},
        "title": "Groups",
        "description": (
            "Read only these statistic groups (by name), e.g. to split a large domain "
            "across several runs, each with its own state. Empty or unset: every group."
        ),
    },
    "page_size": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": PAGE_SIZE_MAX,
        "title": "Page size",
        "default": PAGE_SIZE_MAX,
        "description": f"Records per list request (the API's maximum is {PAGE_SIZE_MAX}).",
    },
    "include_deleted": {
        "type": ["boolean", "null"],
        "title": "Include deleted",
        "default": True,
        "description": (
            "Emit tombstones (records with deleted_at set) so destinations can apply deletes."
        ),
    },
}
"""JSON Schema properties of a read's settings (``ReadOptions`` reads them)."""


def read_setting_errors(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot check of a read's settings, each message naming its setting."""
    errors = []
    if (start_date := config.get("start_date")) is not None:
        # The reader's own rule (``api_timestamp``): a date-time that passed here is one the
        # reads can send, e.g. 0001-01-01T00:00:00Z as 0001-01-01T00:00:00.000000Z.
        try:
            values.parse_timestamp(start_date, offset_required=False)
        except ValueError as exc:
            errors.append(f"start_date {start_date!r:.80} is not an ISO 8601 date-time ({exc})")
    return errors
