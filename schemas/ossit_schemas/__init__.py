"""The single source of Ossit's record shapes and API description.

The tap's catalog, the target's validation and the sandbox's answers all load
their schemas from here, so a field added in one place is added everywhere.
The files ship inside this package's wheel and are found next to this module.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib.resources import files
from typing import Any

RECORD_TYPES: tuple[str, ...] = ("statistic_groups", "statistics", "points", "intervals")
"""The four record types, in the order a loader must apply them (parents first)."""

_COMMON = "common.schema.json"
_REF_PREFIX = f"{_COMMON}#/$defs/"


def _read_json(filename: str) -> dict[str, Any]:
    return json.loads(files(__name__).joinpath(filename).read_text(encoding="utf-8"))


@cache
def _common_defs() -> dict[str, Any]:
    return _read_json(_COMMON)["$defs"]


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
    schema = _inline(_read_json(f"{name}.schema.json"))
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return schema


def record_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one record type, self-contained (no ``$ref``), safe to modify.

    Singer messages carry their schema inline and most targets do not follow
    references, hence the inlining and the dropped ``$schema``/``$id`` keys.
    """
    return copy.deepcopy(_record_schema(name))


def openapi_text() -> str:
    """The OpenAPI 3.1 document of the Ossit API, as YAML text."""
    return files(__name__).joinpath("ossit-api.yaml").read_text(encoding="utf-8")


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the Ossit API, parsed."""
    import yaml

    return yaml.safe_load(openapi_text())
