"""Keeping the domain key secret: the auth hook, the log filter that masks it, the URL check.

The key lives only inside ``BearerAuth`` (whose repr hides it) and inside ``SECRET_FILTER``'s
set of strings to mask; it is never put in a session's default headers, a message or a file.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
from urllib.parse import urlsplit

import requests

MASK = "***"
_LOOPBACK_NAMES = {"localhost"}


def fingerprint(*parts: str) -> str:
    """A short, irreversible name for a secret (used for file names and reprs)."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


class BearerAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer <key>`` to each request without exposing the key in a repr."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._key}"
        return request

    def __repr__(self) -> str:
        return f"BearerAuth({MASK})"


class SecretFilter(logging.Filter):
    """Masks every registered key in a record's rendered message.

    Attached to this package's loggers and to urllib3's, so a key that reaches a log line by
    any route (an exception text, a URL someone built by hand) is replaced before any handler
    sees it. A record that held a key is rendered once, masked, and its args dropped.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def register(self, secret: str) -> None:
        """Mask ``secret`` from now on (a process holds few keys, so they are never removed)."""
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def mask(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``***``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = self.mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info, record.exc_text = None, text
        return True


SECRET_FILTER = SecretFilter()


def install_filter(*logger_names: str) -> None:
    """Attach ``SECRET_FILTER`` once to each named logger."""
    for name in logger_names:
        target = logging.getLogger(name)
        if SECRET_FILTER not in target.filters:
            target.addFilter(SECRET_FILTER)


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
