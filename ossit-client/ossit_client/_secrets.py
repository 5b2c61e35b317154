"""Keeping the domain key secret: the auth hook, the key and URL checks.

The key is checked once (``check_domain_key``), then lives only inside ``BearerAuth`` (whose
repr hides it) and inside ``SECRET_FILTER``'s set of strings to mask (``_masking``, re-exported
here); it is never put in a session's default headers, a message or a file.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import requests

from ._masking import MASK, SECRET_FILTER, SecretFilter, escaped_forms

__all__ = [
    "MASK",
    "SECRET_FILTER",
    "BearerAuth",
    "SecretFilter",
    "check_base_url",
    "check_domain_key",
    "check_header_value",
    "escaped_forms",
    "is_loopback",
]
_LOOPBACK_NAMES = {"localhost"}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_header_value(name: str, value: str) -> str:
    """``value`` if it can travel in a header, else a ValueError naming ``name``.

    Caught here, before any request, rather than as an http.client error on every attempt.
    """
    if not value.isascii() or CONTROL.search(value):
        raise ValueError(f"{name} must be printable ASCII (no control or non-ASCII characters)")
    return value


class BearerAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer <key>`` to each request without exposing the key in a repr."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._key}"
        return request

    def __repr__(self) -> str:
        return f"BearerAuth({MASK})"


def check_domain_key(value: object) -> str:
    """The domain key to use: ``value`` without surrounding whitespace, or a ValueError.

    Keys arrive from key files and ``.env`` files, whose line ends (``\\n``, ``\\r\\n``)
    stick to them. Such a key is not only refused by the server: the HTTP layer rejects
    the header and quotes it, whole, in an exception that ends up in a log. So surrounding
    whitespace is stripped, and what no Ossit key contains -- nothing, a control character,
    a non-ASCII character (which the header's latin-1 encoding would also trip on) -- is
    refused here, before the key reaches any header, with a message that never echoes it.
    """
    if not isinstance(value, str):
        raise ValueError(f"domain_key must be a string, not {type(value).__name__}")
    key = value.strip()
    if not key:
        raise ValueError("domain_key is empty (or only whitespace)")
    for position, char in enumerate(key):
        if not " " <= char <= "~":
            kind = "a non-ASCII" if ord(char) > 0x7F else "a control"
            raise ValueError(
                f"domain_key contains {kind} character (at position {position}); an Ossit "
                "key is printable ASCII: check the key file or setting"
            )
    return key


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str, allow_insecure_http: bool) -> str:
    """Validate the base URL and return it without a trailing slash.

    Plain http would send the key in clear text, so it is refused except to loopback hosts
    (the sandbox) unless the caller explicitly allows it.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("base_url must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise ValueError(
            f"refusing plain http to {parts.hostname}: the domain key would travel unencrypted; "
            "use https or pass allow_insecure_http=True"
        )
    return base_url.rstrip("/")
