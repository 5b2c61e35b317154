"""The settings of ossit_source and ossit_destination: the other connectors', checked alike.

dlt hands a source or destination function its settings as keyword arguments, resolved
from arguments, ``config.toml``/``secrets.toml`` and the environment
(``SOURCES__OSSIT__DOMAIN_KEY``, ``DESTINATION__OSSIT__DOMAIN_KEY``). Their names, meanings
and checks are the ones tap-ossit, target-ossit and the Airbyte connectors take
(``ossit_client.settings``, ``ossit_sync.reading.settings``, ``ossit_sync.loading.settings``):
each function's parameters are made from those definitions (``with_settings``), so a
setting added to the core is a parameter here too, typed as dlt resolves it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import dlt
import fastjsonschema
from dlt.common.typing import TSecretStrValue
from ossit_client.settings import (
    CONNECTION_SETTINGS,
    connection_setting_errors,
    masked_setting_errors,
    register_secrets,
)


class SettingsError(ValueError):
    """Settings an Ossit source or destination cannot run with; the message names each."""


F = TypeVar("F", bound=Callable[..., Any])

_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool}


def with_settings(own: Mapping[str, Mapping[str, Any]]) -> Callable[[F], F]:
    """Give a function taking ``**settings`` one parameter per connection setting, then one
    per setting of ``own``, after its positional-only ones: the signature dlt reads to
    resolve them (a secret as a secret, ``domain_key`` required, every other None if unset).
    """
    settings = {**CONNECTION_SETTINGS, **own}

    def decorate(function: F) -> F:
        signature = inspect.signature(function, eval_str=True)
        leading = [p for p in signature.parameters.values() if p.kind is p.POSITIONAL_ONLY]
        signature = signature.replace(
            parameters=[*leading, *(_parameter(n, d) for n, d in settings.items())]
        )

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            given = signature.bind(*args, **kwargs).arguments
            positional = [given.pop(p.name) for p in leading]
            return function(*positional, **given)

        call.__signature__ = signature  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate


def _parameter(name: str, definition: Mapping[str, Any]) -> inspect.Parameter:
    required = "null" not in definition["type"]
    return inspect.Parameter(
        name,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=dlt.secrets.value if required else None,
        annotation=_python_type(definition) if required else _python_type(definition) | None,
    )


def _python_type(definition: Mapping[str, Any]) -> Any:
    """The type dlt resolves a setting's value into, from its JSON Schema."""
    (kind,) = (kind for kind in definition["type"] if kind != "null")
    if definition.get("secret"):
        return TSecretStrValue
    if kind == "array":
        return list[_python_type(definition["items"])]  # type: ignore[misc]
    if kind == "object":
        return dict[str, _python_type(definition["additionalProperties"])]  # type: ignore[misc]
    return _TYPES[kind]


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
