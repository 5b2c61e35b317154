"""The single source of the Ossit API's contract: record shapes, API description, constants.

The tap's catalog, the target's validation and the sandbox's answers all load their schemas
from here, so a field added in one place is added everywhere; and the client, the
connectors and the sandbox take the API's limits, enums and id and name rules from
:mod:`ossit_schemas.contract` (re-exported here) rather than restating them. What a number
and a time may be is :mod:`ossit_schemas.values`'s. Each kind of record is declared once, in
:mod:`ossit_schemas.kinds`.
"""

from __future__ import annotations

from ossit_schemas import values
from ossit_schemas._documents import (
    ORIGIN_FIELD,
    openapi,
    openapi_text,
    record_fields,
    record_schema,
    stream_schema,
)
from ossit_schemas.contract import (
    BATCH_SIZE_MAX,
    DEFAULT_POINT_METHOD,
    ID_MAX_DIGITS,
    ID_PREFIXES,
    IDEMPOTENCY_ANSWERS_KEPT,
    IDEMPOTENCY_TTL_SECONDS,
    INTERVAL_TYPES,
    METADATA_MAX_DEPTH,
    NAME_MAX_LENGTH,
    NON_IDEMPOTENT_POINT_METHODS,
    PAGE_SIZE_DEFAULT,
    PAGE_SIZE_MAX,
    POINT_METHODS,
    POINT_METHODS_WITH_VALUE,
    RATE_LIMIT_DEFAULT,
    RATE_LIMIT_WINDOW_SECONDS,
    REQUEST_BODY_MAX_BYTES,
    has_id_form,
    is_id,
    name_problem,
    parse_id,
)
from ossit_schemas.kinds import KINDS, LIST_FILTERS, RECORD_TYPES, Kind

__all__ = [
    "BATCH_SIZE_MAX",
    "DEFAULT_POINT_METHOD",
    "IDEMPOTENCY_ANSWERS_KEPT",
    "IDEMPOTENCY_TTL_SECONDS",
    "ID_MAX_DIGITS",
    "ID_PREFIXES",
    "INTERVAL_TYPES",
    "KINDS",
    "LIST_FILTERS",
    "METADATA_MAX_DEPTH",
    "NAME_MAX_LENGTH",
    "NON_IDEMPOTENT_POINT_METHODS",
    "ORIGIN_FIELD",
    "PAGE_SIZE_DEFAULT",
    "PAGE_SIZE_MAX",
    "POINT_METHODS",
    "POINT_METHODS_WITH_VALUE",
    "RATE_LIMIT_DEFAULT",
    "RATE_LIMIT_WINDOW_SECONDS",
    "RECORD_TYPES",
    "REQUEST_BODY_MAX_BYTES",
    "Kind",
    "has_id_form",
    "is_id",
    "name_problem",
    "openapi",
    "openapi_text",
    "parse_id",
    "record_fields",
    "record_schema",
    "stream_schema",
    "values",
]
