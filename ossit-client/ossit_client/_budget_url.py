"""The budget URL: ``budget_url`` or ``$OSSIT_BUDGET_URL``, checked, its password masked as
soon as it is read. A password with a raw ``# ? /`` splits the URL (a piece of it would be
looked up as a host), so such a URL is refused by a message showing no part of it.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from ._masking import MASK, SECRET_FILTER

BUDGET_URL_ENV = "OSSIT_BUDGET_URL"


def resolve_budget_url(budget_url: str | None) -> str | None:
    """``budget_url``, else ``$OSSIT_BUDGET_URL``; None (an empty value too) means the file."""
    value = budget_url if budget_url is not None else os.environ.get(BUDGET_URL_ENV)
    return value or None


def masked_url(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:{MASK}@{netloc.rpartition('@')[2]}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, MASK if k == "password" else v) for k, v in pairs], safe="*")
    return parts._replace(netloc=netloc, query=query).geturl()


def _raw_user_part(url: str) -> str | None:
    """What stands before the URL's last ``@`` (past the scheme), if that ``@`` lies beyond
    the host part's end: then the user part holds a raw ``/ ? #`` and no parser reads it."""
    rest = url.partition("://")[2]
    at = rest.rfind("@")
    ends = [rest.find(mark) for mark in "/?#" if mark in rest]
    return rest[:at] if ends and at > min(ends) else None


def budget_url_secrets(url: str) -> list[str]:
    """The secrets a budget URL carries: its password (as written and decoded) and any
    ``password=`` parameter; for a URL whose user part is not encoded, that whole part and
    what follows its first ``:``, since no parser can say where the password ends."""
    raw = _raw_user_part(url)
    if raw is not None:  # a parser's "password" would be a piece of it
        secrets = [raw, raw.partition(":")[2]]
    else:
        try:
            parts = urlsplit(url)
            secrets = [parts.password or ""]
            secrets += [v for k, v in parse_qsl(parts.query) if k == "password"]
        except ValueError:
            return []
    return [form for secret in secrets if secret for form in {secret, unquote(secret)}]


def check_budget_url(value: object) -> str:
    """The budget URL (``redis://`` or ``rediss://``), its secrets registered for masking;
    else a ValueError naming ``budget_url``, the URL shown masked or not at all."""
    if not isinstance(value, str):
        raise ValueError(f"budget_url must be a string, not {type(value).__name__}")
    url = value.strip()
    for secret in budget_url_secrets(url):
        SECRET_FILTER.register(secret)
    if _raw_user_part(url) is not None:
        raise ValueError(
            "budget_url: its user name or password holds a '#', '?' or '/' as is, which splits "
            "the URL (so no part of it is shown); percent-encode the password, e.g. with "
            "urllib.parse.quote(password, safe='')"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(
            "budget_url is no URL (redis://[user:password@]host:port/db expected)"
        ) from None
    shown = masked_url(url)
    if any(not " " < char <= "~" for char in url):
        raise ValueError("budget_url must be printable ASCII without spaces")
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
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
