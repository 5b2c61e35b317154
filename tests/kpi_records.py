"""The shape of KPIs pushed from a warehouse into Ossit, shared by the tests that push them.

A stream of its own name (``kpis``, ``daily_kpis``) loaded as points through
``stream_kinds``: group, statistic, date and value, and the write ``method`` when a test
needs add/subtract points.
"""

from __future__ import annotations

from typing import Any

KPI_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "group": {"type": "string"},
        "statistic": {"type": "string"},
        "reference_date": {"type": "string", "format": "date"},
        "value": {"type": "number"},
        "method": {"type": "string"},
    },
}
