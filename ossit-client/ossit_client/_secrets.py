"""Keeping the domain key secret: the auth hook, the log filter that masks it, the URL check.

The key is checked once (``check_domain_key``), then lives only inside ``BearerAuth`` (whose
repr hides it) and inside ``SECRET_FILTER``'s set of strings to mask; it is never put in a
session's default headers, a message or a file.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import threading
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

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


def _repr_escaped(text: str) -> str:
    return repr(text)[1:-1]


def _json_escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


def _url_quoted(text: str) -> str:
    return quote(text, safe="")


def _form_quoted(text: str) -> str:
    return quote_plus(text, safe="")


#: How a key may be spelled in a text that quotes it: in a repr (a dict or a config logged
#: with ``%r``), in JSON (a Singer message, a config dump), in a URL or a form.
_ESCAPES = (_repr_escaped, _json_escaped, _url_quoted, _form_quoted)


def escaped_forms(secret: str) -> set[str]:
    """``secret`` and its escaped spellings, escaped once or twice (a repr of a JSON text)."""
    forms = {secret}
    for _ in range(2):
        forms |= {escape(form) for form in forms for escape in _ESCAPES}
    return forms


class SecretFilter(logging.Filter):
    """Masks every registered key, in any of its escaped spellings, in a record's text.

    Applied to every log record of the process (``install_masking``), so a key that
    reaches a log line by any route -- an exception text, a config logged by another
    library, a URL built by hand -- is replaced before any handler sees it, whatever the
    logger (singer_sdk's, urllib3's, the root) and whatever handlers are added later. A
    record whose message held a key is rendered once, masked, and its args dropped.
    """

    def __init__(self) -> None:
        super().__init__()
        self._forms: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def register(self, secret: str) -> None:
        """Mask ``secret`` from now on (a process holds few keys, so they are never removed)."""
        if secret:
            with self._lock:
                forms = set(self._forms) | escaped_forms(secret)
                # Longest first: a form that contains another is masked whole.
                self._forms = tuple(sorted(forms, key=len, reverse=True))
            install_masking()

    def mask(self, text: str) -> str:
        """``text`` with every registered secret (and its escaped forms) replaced by ``***``."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops it."""
        if not self._forms:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it when it emits
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            masked = self.mask(text)
            if masked != text:
                record.exc_info, record.exc_text = None, masked
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


SECRET_FILTER = SecretFilter()

_install_lock = threading.Lock()


def install_masking() -> None:
    """Mask keys in every log record the process creates, once.

    A logger's filter sees only records logged on that very logger (not those propagated
    from its children), and a handler's filter only that handler, while singer_sdk and
    Meltano configure their own loggers and handlers, some after the client exists. The
    record factory is the one place every record passes, so the filter runs there; the
    factory found is chained, not replaced.
    """
    with _install_lock:
        previous = logging.getLogRecordFactory()
        if getattr(previous, "ossit_masking", False):
            return

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            SECRET_FILTER.filter(record)
            return record

        factory.ossit_masking = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)


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
