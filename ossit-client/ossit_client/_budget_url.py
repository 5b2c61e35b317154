"""The budget URL: ``budget_url`` or ``$OSSIT_BUDGET_URL``, checked, its password masked.

A budget URL may carry a Redis password, which is as secret as the domain key: it is registered
with the masking filter as soon as the URL is read, and messages only ever show ``masked_url``.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ._masking import MASK, SECRET_FILTER

BUDGET_URL_ENV = "OSSIT_BUDGET_URL"
_SCHEMES = ("redis", "rediss")


def resolve_budget_url(budget_url: str | None) -> str | None:
    """``budget_url``, else ``$OSSIT_BUDGET_URL``; None (an empty value too) means the file."""
    value = budget_url if budget_url is not None else os.environ.get(BUDGET_URL_ENV)
    return value or None


def masked_url(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user = parts.username or ""
        netloc = f"{user}:{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(name, MASK if name == "password" else value) for name, value in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_budget_url(value: object) -> str:
    """The budget URL to use, its secrets registered for masking; else a ValueError.

    ``redis://[user:password@]host[:port][/db]`` or ``rediss://...`` (TLS). The error names
    ``budget_url`` and shows the URL only masked.
    """
    if not isinstance(value, str):
        raise ValueError(f"budget_url must be a string, not {type(value).__name__}")
    url = value.strip()
    try:
        parts = urlsplit(url)
        secrets = [parts.password or ""]
        secrets += [v for k, v in parse_qsl(parts.query) if k == "password"]
        for secret in secrets:
            SECRET_FILTER.register(secret)
        port = parts.port
    except ValueError:
        raise ValueError(
            "budget_url is no URL (redis://[user:password@]host:port/db expected)"
        ) from None
    shown = masked_url(url)
    if not url.isascii() or any(not " " < char <= "~" for char in url):
        raise ValueError("budget_url must be printable ASCII without spaces")
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise ValueError(
            f"budget_url must be redis://[user:password@]host:port/db or rediss://..., "
            f"got {shown!r}"
        )
    db = parts.path.lstrip("/")
    if db and not db.isdigit():
        raise ValueError(f"budget_url's database must be a number, got {shown!r}")
    if port == 0:
        raise ValueError(f"budget_url's port must be 1-65535, got {shown!r}")
    return url
