"""What an Airbyte connector reads from files: its config, its catalog and its state.

Each file is read once, bounded in size, parsed as JSON and checked for the shape this
connector needs; anything else is a ``ConfigError`` naming the file (and the field), never
a traceback. A config is checked against the connector's own specification.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import dacite
import jsonschema
from airbyte_protocol_dataclasses.models import ConfiguredAirbyteCatalog
from ossit_sync.files import InputFileError, read_json_file


class ConfigError(Exception):
    """Something the user configured (settings, catalog, state) that cannot be used."""


def read_json(path: str, what: str) -> Any:
    """The JSON value in the file at ``path`` (``what``: 'config', 'catalog', 'state')."""
    try:
        return read_json_file(path, what)
    except InputFileError as exc:
        raise ConfigError(str(exc)) from None


def config_errors(config: Any, specification: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``config`` by the connection specification, one line each."""
    if not isinstance(config, dict):
        return ["the config must be a JSON object"]
    validator = jsonschema.Draft7Validator(specification)
    errors = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(e.path)):
        where = ".".join(str(part) for part in error.path)
        if error.validator == "required":
            errors.append(f"setting missing: {error.message.split(' ', 1)[0]}")
        elif where:
            errors.append(f"setting '{where}': {_shown(error)}")
        else:
            errors.append(error.message)
    return errors


def _shown(error: jsonschema.ValidationError) -> str:
    """The error's message, without the value when the setting is a secret."""
    if isinstance(error.schema, dict) and error.schema.get("airbyte_secret"):
        return f"invalid value (fails {error.validator}: {error.validator_value!r})"
    return str(error.message)


def configured_catalog(path: str) -> ConfiguredAirbyteCatalog:
    """The configured catalog in the file at ``path``."""
    data = read_json(path, "catalog")
    try:
        return dacite.from_dict(
            ConfiguredAirbyteCatalog, data, config=dacite.Config(cast=[Enum, float])
        )
    except (dacite.DaciteError, ValueError, TypeError) as exc:
        raise ConfigError(f"catalog file {path}: not a configured catalog ({exc})") from None


def stream_states(path: str | None) -> dict[str, dict[str, Any]]:
    """Stream name -> its saved state, from a state file of per-stream STATE messages.

    The protocol's current form is a list of ``{"type": "STREAM", "stream":
    {"stream_descriptor": {"name": ...}, "stream_state": {...}}}``; an empty file, ``[]``,
    ``{}`` or ``null`` is no state. Global and legacy states are refused by name: this
    source never wrote one.
    """
    if path is None:
        return {}
    data = read_json(path, "state")
    if data in (None, [], {}):
        return {}
    if not isinstance(data, list):
        raise ConfigError(
            f"state file {path}: a list of per-stream STATE messages expected "
            "(a legacy state object is not supported)"
        )
    states: dict[str, dict[str, Any]] = {}
    for number, message in enumerate(data, start=1):
        where = f"state file {path}, message {number}"
        if not isinstance(message, dict) or message.get("type", "STREAM") != "STREAM":
            raise ConfigError(f"{where}: a STREAM state expected")
        stream = message.get("stream")
        descriptor = stream.get("stream_descriptor") if isinstance(stream, dict) else None
        name = descriptor.get("name") if isinstance(descriptor, dict) else None
        if not isinstance(name, str):
            raise ConfigError(f"{where}: no stream_descriptor.name")
        state = stream.get("stream_state")  # type: ignore[union-attr]
        if state is not None and not isinstance(state, dict):
            raise ConfigError(f"{where}: stream_state of '{name}' is not an object")
        states[name] = state or {}
    return states
