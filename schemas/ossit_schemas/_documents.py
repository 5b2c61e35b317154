"""Loading the package's documents: the record schemas (references inlined) and the OpenAPI file.

The files ship inside the wheel and are found next to this module, so an installed package
needs no checkout of the repository.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib.resources import files
from typing import Any

from ossit_schemas.kinds import RECORD_TYPES

_PACKAGE = __package__ or "ossit_schemas"
_COMMON = "common.schema.json"
_REF_PREFIX = f"{_COMMON}#/$defs/"


def _read_json(filename: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        files(_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    )
    return data


@cache
def _common_defs() -> dict[str, Any]:
    """The shared ``$defs`` of ``common.schema.json`` (cached: never modified)."""
    defs: dict[str, Any] = _read_json(_COMMON)["$defs"]
    return defs


def _inline(node: Any) -> Any:
    """Replace every reference to a shared definition with a copy of it."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            return _inline(copy.deepcopy(_common_defs()[ref.removeprefix(_REF_PREFIX)]))
        return {key: _inline(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item) for item in node]
    return node


@cache
def _record_schema(name: str) -> dict[str, Any]:
    if name not in RECORD_TYPES:
        raise KeyError(f"unknown Ossit record type {name!r}; expected one of {RECORD_TYPES}")
    schema: dict[str, Any] = _inline(_read_json(f"{name}.schema.json"))
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return schema


def record_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one record type, self-contained (no ``$ref``), safe to modify.

    Singer messages carry their schema inline and most targets do not follow
    references, hence the inlining and the dropped ``$schema``/``$id`` keys.
    """
    return copy.deepcopy(_record_schema(name))


ORIGIN_FIELD = "_ossit_origin"
"""The field a reader adds to every record: the domain and server it was read from."""

_ORIGIN_PROPERTY: dict[str, Any] = {
    "type": ["string", "null"],
    "maxLength": 2300,
    "description": (
        "Where the record was read: `<domain>@<server>`, the domain named by a digest of its "
        "key (never the key). Tells domains apart in one warehouse, and names the interval an "
        "interval without external_id is in any other domain (see target-ossit's README)."
    ),
}


def stream_schema(name: str) -> dict[str, Any]:
    """The schema of the records a reader emits: the API's record plus ``ORIGIN_FIELD``."""
    schema = record_schema(name)
    schema["properties"][ORIGIN_FIELD] = copy.deepcopy(_ORIGIN_PROPERTY)
    return schema


@cache
def record_fields(name: str) -> tuple[str, ...]:
    """The fields of one record type, in the order its schema lists them (and answers carry)."""
    return tuple(_record_schema(name)["properties"])


def openapi_text() -> str:
    """The OpenAPI 3.1 document of the Ossit API, as YAML text."""
    return files(_PACKAGE).joinpath("ossit-api.yaml").read_text(encoding="utf-8")


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the Ossit API, parsed."""
    import yaml

    document: dict[str, Any] = yaml.safe_load(openapi_text())
    return document
