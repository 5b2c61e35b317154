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
from typing import Any

import ossit_schemas
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.openapi.checks import RejectedPositiveData

# Enough examples per operation to reach every kind of answer, few enough to stay well under
# 2 minutes; deterministic so that a failure in CI reproduces locally.
MAX_EXAMPLES = 25

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
# An interval's `end >= start`, also against the stored interval on a partial update; in a
# batch, a named group, statistic or interval that does not exist, or an external_id that another
# interval holds (random data cannot know); a number or a timestamp the API cannot keep exactly
# (the document's rule on numbers and times: JSON Schema's `number` and `date-time` say less).
PROSE_RULES = re.compile(
    r"must not be before start|not found|^no such |is required to create an interval"
    r"|already used by another interval"
    r"|within signed 64 bits|a double holds exactly|at most 6 fractional digits"
)


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


@schema.hook
def filter_failure(
    ctx: schemathesis.HookContext,
    failure: Any,
    case: schemathesis.Case,
    response: schemathesis.Response,
) -> bool:
    """Keep every failure but a 422 to schema-valid data that a rule of the document's prose
    explains (see `PROSE_RULES`): JSON Schema cannot compare two fields or know stored data."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return True
    error = response.json().get("error", {})
    messages = [item.get("message", "") for item in error.get("items") or []]
    return not all(PROSE_RULES.search(message) for message in messages or [error["message"]])


@schema.parametrize()
def test_every_answer_conforms_to_the_document(
    case: schemathesis.Case, api_call: dict[str, Any]
) -> None:
    # Every built-in check runs; "never a 5xx" is named as well so that no configuration
    # change can drop it: a 500 makes clients retry for a minute.
    case.call_and_validate(**api_call, additional_checks=[not_a_server_error])


def test_the_run_covers_every_operation_of_the_document() -> None:
    """`schema.parametrize()` yields one test per operation; none may be skipped or unloadable."""
    document = ossit_schemas.openapi()
    expected = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch", "head", "options")
    }
    loaded = {
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    }
    assert loaded == expected
