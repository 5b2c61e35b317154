"""The connection settings every Ossit connector takes, defined once with their checks.

tap-ossit, target-ossit (and any other adapter) put ``CONNECTION_SETTINGS`` into their own
settings schema and build their client with ``OssitClient.from_config``, so a setting, its
default, its description and its checks are the same everywhere. The definitions are plain
JSON Schema (what Singer's ``config_jsonschema`` and an Airbyte connection specification
both are), so this module needs no connector framework.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ossit_schemas import RATE_LIMIT_DEFAULT, RATE_LIMIT_WINDOW_SECONDS

from ._budget_url import BUDGET_URL_ENV, budget_url_secrets, check_budget_url, resolve_budget_url
from ._masking import mask_secrets
from ._secrets import SECRET_FILTER, check_base_url, check_domain_key

DEFAULT_BASE_URL = "https://ossit.ca"
#: 256 MiB: far above any page (1000 records, ~300 KB), far below a decompression bomb.
DEFAULT_MAX_ANSWER_BYTES = 256 * 1024 * 1024


def _setting(json_type: str, title: str, description: str, **keywords: Any) -> dict[str, Any]:
    """One optional setting: null means "the default", as Meltano passes unset values."""
    return {"type": [json_type, "null"], "title": title, "description": description, **keywords}


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
    "base_url": _setting(
        "string",
        "Base URL",
        "Root of the Ossit API; plain http is accepted only for a loopback host (the sandbox).",
        minLength=1,
        default=DEFAULT_BASE_URL,
    ),
    "max_requests_per_hour": _setting(
        "integer",
        "Max requests per hour",
        "The client-side request budget, shared by every process on this machine using the "
        "same key (on every machine, with budget_url); keep it at or below the domain's rate "
        "limit.",
        minimum=1,
        default=RATE_LIMIT_DEFAULT,
    ),
    "rate_window": _setting(
        "number",
        "Rate window",
        "Seconds of the rolling window max_requests_per_hour counts in: 3600 on the hosted "
        "API; set it only for a sandbox started with another --rate-window.",
        exclusiveMinimum=0,
        default=RATE_LIMIT_WINDOW_SECONDS,
    ),
    "budget_url": {
        **_setting(
            "string",
            "Budget URL",
            "Redis holding the request budget shared by every machine using the same key: "
            "redis://[user:password@]host:port/db or rediss://... (TLS). Unset: the budget "
            f"is shared by the processes of this machine only (or set {BUDGET_URL_ENV}).",
            minLength=1,
        ),
        "secret": True,
        "writeOnly": True,
    },
    "user_agent": _setting(
        "string", "User agent", "User-Agent header of every request.", minLength=1
    ),
    "timeout": _setting(
        "number",
        "Timeout",
        "Seconds to connect, and to wait for each piece of an answer.",
        exclusiveMinimum=0,
        default=30,
    ),
    "answer_timeout": _setting(
        "number",
        "Answer timeout",
        "Seconds one attempt may take as a whole, however the server drips its answer "
        "(default: 4 x timeout).",
        exclusiveMinimum=0,
    ),
    "max_retries": _setting(
        "integer",
        "Max retries",
        "Retries of one call after a 429, a 5xx or a broken connection; 0 fails at once.",
        minimum=0,
        maximum=100,
        default=8,
    ),
    "max_retry_wait": _setting(
        "number",
        "Max retry wait",
        "Seconds one call may spend waiting between its retries; a server asking for a "
        "longer wait fails the call instead.",
        minimum=0,
        default=600,
    ),
    "max_answer_bytes": _setting(
        "integer",
        "Max answer bytes",
        "Largest decoded (decompressed) answer accepted, in bytes.",
        minimum=1024,
        default=DEFAULT_MAX_ANSWER_BYTES,
    ),
}
"""JSON Schema properties of the connection settings, in the order users meet them."""

REQUIRED_SETTINGS: tuple[str, ...] = ("domain_key",)

#: Settings passed to ``OssitClient`` under the same name (``domain_key`` goes first).
_CLIENT_OPTIONS = tuple(name for name in CONNECTION_SETTINGS if name != "domain_key")


def connection_setting_errors(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot check, one message per bad setting, each naming it.

    The key's characters (``check_domain_key``, never echoing it), the base URL's rule
    (https, or plain http to loopback only) and that numbers are finite: a connector
    checks these when it reads its settings, before any request.
    """
    errors = []
    if config.get("domain_key") is not None:
        try:
            check_domain_key(config["domain_key"])
        except ValueError as exc:
            errors.append(str(exc))
    base_url = config.get("base_url")
    if base_url is not None:
        try:
            check_base_url(base_url, allow_insecure_http=False)
        except ValueError as exc:
            errors.append(f"base_url: {exc}")
    budget_url = config.get("budget_url")
    if budget_url is not None:
        try:
            check_budget_url(budget_url)
        except ValueError as exc:
            errors.append(str(exc))
    for name in ("timeout", "answer_timeout", "max_retry_wait", "rate_window"):
        value = config.get(name)
        if isinstance(value, float) and not math.isfinite(value):
            errors.append(f"{name}: must be a finite number of seconds")
    return errors


def secret_values(config: Mapping[str, Any]) -> list[str]:
    """Every secret the settings hold: each setting marked secret, as written and stripped,
    and the password of the budget URL (``budget_url``, else ``$OSSIT_BUDGET_URL``).

    Read from the raw settings, before any is checked, so a secret pasted into the wrong
    setting is known before a message quotes that setting.
    """
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
    """``errors`` (of any check: JSON Schema's, ``connection_setting_errors``, a connector's
    own) with every secret of ``config`` masked, in any escaped spelling.

    The one place every connector's settings errors pass through before they are printed: a
    check quotes the value it refuses, and that value may be the key pasted into the wrong
    setting (``start_date``, ``page_size``).
    """
    secrets = secret_values(config)
    return [mask_secrets(error, secrets) for error in errors]


def register_secrets(config: Mapping[str, Any]) -> None:
    """Mask the settings' secrets (the key, the budget URL's password) from now on.

    Every log record of the process is masked once a secret is registered; ``mask`` does the
    same for text a connector prints by other routes (an Airbyte TRACE message, say). A
    connector calls this as soon as it has read its settings, before checking them.
    """
    for secret in secret_values(config):
        SECRET_FILTER.register(secret)


def mask(text: str) -> str:
    """``text`` with every registered secret, in any escaped spelling, replaced by ``***``."""
    return SECRET_FILTER.mask(text)


def client_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """``OssitClient`` keyword arguments from connector settings (absent or null: default)."""
    return {name: config[name] for name in _CLIENT_OPTIONS if config.get(name) is not None}


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
        "required": [*REQUIRED_SETTINGS, *required],
    }
