"""Keeping the domain key secret: once checked, it lives only in ``BearerAuth`` (whose repr
hides it) and ``SECRET_FILTER`` -- never in default headers, a message or a file.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import requests

from ._masking import MASK

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_header_value(name: str, value: str) -> str:
    """``value`` if it can travel in a header, else a ValueError naming ``name`` (before any
    request, rather than an http.client error on every attempt)."""
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
    """``value`` stripped (key files leave line ends), or a ValueError that never echoes it:
    the HTTP layer would quote a bad header, key and all, in an exception that gets logged."""
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
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str, allow_insecure_http: bool) -> str:
    """The base URL without a trailing slash; plain http (the key in clear) only to loopback
    hosts (the sandbox) unless explicitly allowed."""
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
