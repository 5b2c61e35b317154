"""An Airbyte connection specification from the connectors' shared settings definitions.

The settings are defined once as JSON Schema properties (``ossit_client.settings`` for the
connection, ``ossit_sync`` for a read and a load); Singer's ``config_jsonschema`` and
Airbyte's ``connectionSpecification`` are both that schema. Airbyte spells a secret
``airbyte_secret`` (its UI hides the value, the platform keeps it in its secret store) and
orders the form by ``order``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ossit_client.settings import settings_schema

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def connection_specification(
    title: str, own: Mapping[str, dict[str, Any]], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The connector's whole specification: connection settings, then its ``own``."""
    schema = settings_schema(own, required)
    properties: dict[str, dict[str, Any]] = {}
    for order, (name, definition) in enumerate(schema["properties"].items()):
        prop = copy.deepcopy(definition)
        if prop.pop("secret", False):
            prop["airbyte_secret"] = True
        prop["order"] = order
        properties[name] = prop
    return {
        "$schema": DRAFT_07,
        "title": title,
        "type": "object",
        "required": schema["required"],
        "additionalProperties": True,
        "properties": properties,
    }
