"""Every answer of the running sandbox conforms to the OpenAPI document.

Schemathesis generates valid and invalid requests for each operation of the document and checks
each answer: a documented status code, a body matching the response schema, the documented
content type and required headers (the X-RateLimit-* ones), 4xx for invalid input and 2xx/404/409
for valid input, 401 without the key, 405 with an exact `Allow` for undocumented methods, and
never a 5xx.

The hooks below cover the few rules of the document that JSON Schema cannot state; each is
narrow, and the contract tests check those rules directly.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from typing import Any

import ossit_schemas
import schemathesis
from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData

# Enough examples per operation to reach every kind of answer, few enough to stay well under
# 2 minutes; deterministic so that a failure in CI reproduces locally.
MAX_EXAMPLES = 15

# The document marks time zones with this format; JSON Schema cannot list IANA's names itself.
schemathesis.openapi.format(
    "iana-time-zone", st.sampled_from(sorted(zoneinfo.available_timezones()))
)

schema = schemathesis.openapi.from_dict(ossit_schemas.openapi())
# The key goes in as a fixed header at call time (see `api_call`), not as a generated parameter;
# unknown query parameters are ignored by design, so adding one does not make a request invalid.
schema.config.generation.update(
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
    with_security_parameters=False,
    allow_extra_parameters=False,
)

STATISTIC_DELETE = ("delete", "/v1/api/statistics/{group}/{statistic}")
BATCHES = {"/v1/api/points/batch", "/v1/api/intervals/batch"}
# Item errors of a batch that only say a named group, statistic or interval does not exist.
MISSING_REFERENT = re.compile(r"not found|^no such |is required to create an interval")


@schema.hook
def map_query(ctx: schemathesis.HookContext, query: dict[str, Any] | None) -> Any:
    """Drop generated cursors: a cursor is opaque, only one the API issued is valid (else 422)."""
    if query:
        query.pop("cursor", None)
    return query


@schema.hook
def filter_query(ctx: schemathesis.HookContext, query: dict[str, Any] | None) -> bool:
    """Deleting from a statistic needs `reference_date` or `purge=true`, a rule over two
    parameters that OpenAPI cannot state: keep to requests that say which."""
    operation = ctx.operation
    if operation is None or (operation.method, operation.path) != STATISTIC_DELETE:
        return True
    query = query or {}
    return "reference_date" in query or query.get("purge") is True


def _ends_before_start(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    start, end = item.get("start"), item.get("end")
    if not (isinstance(start, str) and isinstance(end, str)):
        return False
    try:
        return datetime.fromisoformat(end) < datetime.fromisoformat(start)
    except ValueError:
        return False


@schema.hook
def filter_body(ctx: schemathesis.HookContext, body: Any) -> bool:
    """An interval needs `end >= start`, a comparison JSON Schema cannot state."""
    items = body.get("intervals") if isinstance(body, dict) else None
    return not any(map(_ends_before_start, [body, *(items if isinstance(items, list) else [])]))


@schema.hook
def filter_failure(
    ctx: schemathesis.HookContext,
    failure: Any,
    case: schemathesis.Case,
    response: schemathesis.Response,
) -> bool:
    """Keep every failure but one: a batch naming groups, statistics or intervals that random
    data cannot know is answered 422 `invalid_items` — the documented answer, not a bug."""
    if not isinstance(failure, RejectedPositiveData) or case.operation.path not in BATCHES:
        return True
    if response.status_code != 422:
        return True
    error = response.json().get("error", {})
    items = error.get("items") or []
    return not (
        error.get("code") == "invalid_items"
        and items
        and all(MISSING_REFERENT.search(item.get("message", "")) for item in items)
    )


@schema.parametrize()
def test_every_answer_conforms_to_the_document(
    case: schemathesis.Case, api_call: dict[str, Any]
) -> None:
    case.call_and_validate(**api_call)
