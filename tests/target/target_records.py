"""Records as tap-ossit emits them, for the target tests' fixtures and strategies.

A module of its own (not conftest.py) so test modules can import it, e.g. hypothesis
strategies built at import time, by a name no other test folder uses.
"""

from __future__ import annotations

import datetime
from typing import Any

STAMP = "2026-01-01T00:00:00.000000Z"
SOURCE_DOMAIN = "5eed0000000000000000cafe"
SOURCE_ORIGIN = f"{SOURCE_DOMAIN}@http://127.0.0.1:1"
"""The ``_ossit_origin`` of the records the fixtures hold: a domain on another server."""


def copied_external_id(source_id: str) -> str:
    """The external_id a copy gives an interval of ``SOURCE_ORIGIN`` without one."""
    return f"ossit:{SOURCE_DOMAIN}:{source_id}"


def _point(
    group: str, statistic: str, day: int, value: float, *, deleted: bool = False
) -> dict[str, Any]:
    """A points record as tap-ossit emits it; ``day`` counts from 2025-01-01."""
    reference_date = (datetime.date(2025, 1, 1) + datetime.timedelta(days=day)).isoformat()
    return {
        "id": f"pt_{group}_{statistic}_{day}",
        "statistic_id": f"stat_{group}_{statistic}",
        "group": group,
        "statistic": statistic,
        "reference_date": reference_date,
        "value": value,
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": STAMP if deleted else None,
    }
