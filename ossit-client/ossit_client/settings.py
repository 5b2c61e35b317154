"""The client's options, declared once in ``ClientOptions``: each field holds its default and
its JSON Schema, which the constructor checks and the connectors offer as settings
(``CONNECTION_SETTINGS``), so a setting is the same everywhere. Plain JSON Schema is what both
Singer and Airbyte take, so no connector framework is needed here.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from ossit_schemas import RATE_LIMIT_DEFAULT, RATE_LIMIT_WINDOW_SECONDS

from ._budget_url import BUDGET_URL_ENV, budget_url_secrets, check_budget_url, resolve_budget_url
from ._masking import SECRET_FILTER, mask_secrets
from ._secrets import check_base_url, check_domain_key, check_header_value

DEFAULT_BASE_URL = "https://ossit.ca"
#: 256 MiB: far above any page (1000 records, ~300 KB), far below a decompression bomb.
DEFAULT_MAX_ANSWER_BYTES = 256 * 1024 * 1024


def _option(default: Any, kind: str, title: str = "", description: str = "", **schema: Any) -> Any:
    """One option: its default and JSON Schema; a ``title`` makes it a connection setting."""
    metadata = {"kind": kind, "title": title, "text": description, **schema}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class ClientOptions:
    """Every option of ``OssitClient`` but the key, with its default, checked when built."""

    base_url: str = _option(
        DEFAULT_BASE_URL,
        "string",
        "Base URL",
        "Root of the Ossit API; plain http is accepted only for a loopback host (the sandbox).",
        minLength=1,
    )
    max_requests_per_hour: int = _option(
        RATE_LIMIT_DEFAULT,
        "integer",
        "Max requests per hour",
        "The client-side request budget, shared by every process on this machine using the "
        "same key (on every machine, with budget_url); keep it at or below the domain's rate "
        "limit.",
        minimum=1,
    )
    rate_window: float = _option(
        RATE_LIMIT_WINDOW_SECONDS,
        "number",
        "Rate window",
        "Seconds of the rolling window max_requests_per_hour counts in: 3600 on the hosted "
        "API; set it only for a sandbox started with another --rate-window.",
        exclusiveMinimum=0,
    )
    budget_url: str | None = _option(
        None,
        "string",
        "Budget URL",
        "Redis holding the request budget shared by every machine using the same key: "
        "redis://[user:password@]host:port/db or rediss://... (TLS). Unset: the budget "
        f"is shared by the processes of this machine only (or set {BUDGET_URL_ENV}).",
        minLength=1,
        secret=True,
        writeOnly=True,
    )
    user_agent: str | None = _option(
        None, "string", "User agent", "User-Agent header of every request.", minLength=1
    )
    timeout: float = _option(
        30,
        "number",
        "Timeout",
        "Seconds to connect, and to wait for each piece of an answer.",
        exclusiveMinimum=0,
    )
    answer_timeout: float | None = _option(
        None,
        "number",
        "Answer timeout",
        "Seconds one attempt may take as a whole, however the server drips its answer "
        "(default: 4 x timeout).",
        exclusiveMinimum=0,
    )
    max_retries: int = _option(
        8,
        "integer",
        "Max retries",
        "Retries of one call after a 429, a 5xx or a broken connection; 0 fails at once.",
        minimum=0,
        maximum=100,
    )
    max_retry_wait: float = _option(
        600,
        "number",
        "Max retry wait",
        "Seconds one call may spend waiting between its retries; a server asking for a "
        "longer wait fails the call instead.",
        minimum=0,
    )
    max_answer_bytes: int = _option(
        DEFAULT_MAX_ANSWER_BYTES,
        "integer",
        "Max answer bytes",
        "Largest decoded (decompressed) answer accepted, in bytes.",
        minimum=1024,
    )
    # Options of the library only (no title): not offered as connector settings.
    allow_insecure_http: bool = _option(False, "boolean")
    state_dir: str | Path | None = field(default=None, metadata={"kind": "path", "title": ""})
    backoff_base: float = _option(0.5, "number", exclusiveMinimum=0)
    backoff_max: float = _option(60.0, "number", exclusiveMinimum=0)
    pool_maxsize: int = _option(10, "integer", minimum=1)

    def __post_init__(self) -> None:
        if errors := option_errors(asdict(self)):
            raise ValueError("; ".join(errors))

    @property
    def whole_attempt_seconds(self) -> float:
        """``answer_timeout``, or four times ``timeout`` when unset."""
        return self.answer_timeout if self.answer_timeout is not None else 4 * self.timeout


_TYPES: dict[str, tuple[type[Any], ...]] = {
    "string": (str,),
    "path": (str, Path),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _value_error(name: str, kind: str, schema: Mapping[str, Any], value: Any) -> str | None:
    """What is wrong with ``value`` for the option ``name`` by its schema, if anything."""
    numeric = kind in ("integer", "number")
    if not isinstance(value, _TYPES[kind]) or (numeric and isinstance(value, bool)):
        return f"{name} must be {'an' if kind == 'integer' else 'a'} {kind}"
    if numeric and not math.isfinite(float(value)):
        return f"{name} must be a finite number"
    bounds = [
        (f"{sign} {schema[key]}", test(value, schema[key]))
        for key, sign, test in _BOUNDS
        if schema.get(key) is not None
    ]
    if any(not ok for _, ok in bounds):
        return f"{name} must be a finite number {', '.join(rule for rule, _ in bounds)}"
    return None


_BOUNDS = (
    ("minimum", ">=", operator.ge),
    ("exclusiveMinimum", ">", operator.gt),
    ("maximum", "<=", operator.le),
)


def option_errors(values: Mapping[str, Any]) -> list[str]:
    """One message per bad option in ``values`` (None: the default), each naming it: by its
    schema, then what a schema cannot say (base URL, budget URL, a header-safe user agent)."""
    errors = []
    for option in fields(ClientOptions):
        value = values.get(option.name)
        if value is not None:
            schema = option.metadata
            if problem := _value_error(option.name, schema["kind"], schema, value):
                errors.append(problem)
    checks = (
        ("base_url", lambda url: check_base_url(url, bool(values.get("allow_insecure_http")))),
        ("budget_url", check_budget_url),
        ("user_agent", lambda agent: check_header_value("user_agent", agent)),
    )
    for name, check in checks:
        if isinstance(values.get(name), str) and values[name]:
            try:
                check(values[name])
            except ValueError as exc:
                errors.append(str(exc) if str(exc).startswith(name) else f"{name}: {exc}")
    return errors


def _setting(option: Any) -> dict[str, Any]:
    """An option's JSON Schema property; null is "the default" (Meltano passes unset as null)."""
    schema = dict(option.metadata)
    kind, title, text = schema.pop("kind"), schema.pop("title"), schema.pop("text")
    prop = {"type": [kind, "null"], "title": title, "description": text, **schema}
    if option.default is not None:
        prop["default"] = option.default
    return prop


CONNECTION_SETTINGS: dict[str, dict[str, Any]] = {
    "domain_key": {
        "type": ["string"],
        "minLength": 1,
        "title": "Domain key",
        "description": (
            "The secret key of the Ossit domain (sent as a Bearer token, never logged). "
            "Surrounding whitespace, e.g. a key file's line end, is ignored."
        ),
        "secret": True,
        "writeOnly": True,
    },
    **{
        option.name: _setting(option)
        for option in fields(ClientOptions)
        if option.metadata["title"]
    },
}
"""JSON Schema properties of the connection settings, in the order users meet them."""


def connection_setting_errors(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot check, one message per bad setting (the key never echoed)."""
    errors = []
    if config.get("domain_key") is not None:
        try:
            check_domain_key(config["domain_key"])
        except ValueError as exc:
            errors.append(str(exc))
    return errors + option_errors(client_options(config))


def client_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """``OssitClient`` keyword arguments from connector settings (absent or null: default).

    singer-sdk reads a config file's decimals as ``Decimal``: a number setting is a float.
    """
    return {
        name: float(config[name]) if isinstance(config[name], Decimal) else config[name]
        for name in CONNECTION_SETTINGS
        if name != "domain_key" and config.get(name) is not None
    }


def secret_values(config: Mapping[str, Any]) -> list[str]:
    """Every secret the raw settings hold (before any check quotes one pasted into the wrong
    setting): each secret setting, as written and stripped, and the budget URL's password."""
    secrets: list[str] = []
    for name, setting in CONNECTION_SETTINGS.items():
        value = config.get(name)
        if setting.get("secret") and isinstance(value, str) and name != "budget_url":
            secrets += [value, value.strip()]
    budget_url = config.get("budget_url")
    url = resolve_budget_url(budget_url if isinstance(budget_url, str) else None)
    if url is not None:
        secrets += budget_url_secrets(url.strip())
    return [secret for secret in secrets if secret]


def masked_setting_errors(config: Mapping[str, Any], errors: Iterable[str]) -> list[str]:
    """``errors`` of any check with every secret of ``config`` masked: a check quotes the
    value it refuses, which may be the key pasted into the wrong setting."""
    secrets = secret_values(config)
    return [mask_secrets(error, secrets) for error in errors]


def register_secrets(config: Mapping[str, Any]) -> None:
    """Mask the settings' secrets from now on, in this library's messages and records and
    the handlers ``mask_log_handlers`` covers; called before the settings are checked."""
    for secret in secret_values(config):
        SECRET_FILTER.register(secret)


def mask(text: str) -> str:
    """``text`` with every registered secret, in any escaped spelling, replaced by ``***``."""
    return SECRET_FILTER.mask(text)


def settings_schema(
    own: Mapping[str, dict[str, Any]], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A connector's whole settings schema: the connection settings, then its ``own``."""
    clash = CONNECTION_SETTINGS.keys() & own.keys()
    if clash:
        raise ValueError(f"settings defined twice: {sorted(clash)}")
    return {
        "type": "object",
        "properties": {**CONNECTION_SETTINGS, **own},
        "required": ["domain_key", *required],
    }
