"""The settings of ossit_source and ossit_destination: the other connectors', checked alike.

dlt hands a source or destination function its settings as keyword arguments, resolved
from arguments, ``config.toml``/``secrets.toml`` and the environment
(``SOURCES__OSSIT__DOMAIN_KEY``, ``DESTINATION__OSSIT__DOMAIN_KEY``). Their names, meanings
and checks are the ones tap-ossit, target-ossit and the Airbyte connectors take
(``ossit_client.settings``, ``ossit_sync.reading.settings``, ``ossit_sync.loading.settings``):
each function's parameters are checked against those definitions when this package is
imported, so a setting added to the core cannot be missing here unnoticed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import fastjsonschema
from ossit_client.settings import (
    CONNECTION_SETTINGS,
    connection_setting_errors,
    masked_setting_errors,
    register_secrets,
)


class SettingsError(ValueError):
    """Settings an Ossit source or destination cannot run with; the message names each."""


def check_parameters(
    function: Callable[..., Any], settings: Mapping[str, Any], *, besides: Iterable[str] = ()
) -> None:
    """Fail at import when ``function`` does not take exactly ``settings`` (and ``besides``)."""
    taken = set(inspect.signature(function).parameters) - set(besides)
    if taken != set(settings):
        missing, extra = sorted(set(settings) - taken), sorted(taken - set(settings))
        msg = f"{function.__name__}: parameters differ from the settings: {missing=} {extra=}"
        raise TypeError(msg)


def checked(
    who: str,
    given: Mapping[str, Any],
    own: Mapping[str, dict[str, Any]],
    own_errors: Callable[[Mapping[str, Any]], list[str]] = lambda _config: [],
) -> dict[str, Any]:
    """The settings that were set (None: the default), once every check passed.

    Secrets are registered for masking first (``register_secrets``: every log record of
    the process is masked from then on), so no message, here or later, can show them.
    """
    config = {name: value for name, value in given.items() if value is not None}
    register_secrets(config)
    if "domain_key" not in config:
        raise SettingsError(f"{who}: domain_key is required (set it in secrets.toml or env)")
    errors = [
        error
        for name, definition in {**CONNECTION_SETTINGS, **own}.items()
        if name in config and (error := _schema_error(name, definition, config[name]))
    ]
    errors += connection_setting_errors(config) + own_errors(config)
    if errors:
        raise SettingsError(f"{who}: " + "; ".join(masked_setting_errors(config, errors)))
    return config


def _schema_error(name: str, definition: dict[str, Any], value: Any) -> str | None:
    """What the setting's JSON Schema says of ``value`` (formats are the checks' to judge)."""
    try:
        _validator(name, definition)(value)
    except fastjsonschema.JsonSchemaValueException as exc:
        return f"{name}: {exc.message.removeprefix('data ')}"
    return None


_VALIDATORS: dict[str, Callable[[Any], Any]] = {}


def _validator(name: str, definition: dict[str, Any]) -> Callable[[Any], Any]:
    if name not in _VALIDATORS:
        _VALIDATORS[name] = fastjsonschema.compile(definition, use_formats=False)
    return _VALIDATORS[name]
