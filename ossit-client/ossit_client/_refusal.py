"""Telling a stopped local server from a network outage: a refused loopback connection.

A refused connection to a hosted API is usually brief (a deploy, a load balancer turning
over), so it is retried like any connection failure. A refused connection to a loopback
address is not: nothing on this machine listens on that port -- typically the sandbox is not
running -- and no retry will change that. Retrying it costs a minute of backoff and a screen of
log lines before the same error, so it fails at once, with a hint saying what to start.

"Refused" means the operating system's ``ECONNREFUSED`` while connecting, so before any byte
of the request was sent: failing at once never leaves a write half-applied. A refusal through
a proxy is the proxy's, whatever the target, and keeps the ordinary retries.
"""

from __future__ import annotations

import errno
from urllib.parse import urlsplit

import requests
import urllib3

from ._secrets import is_loopback

#: How many links of an exception chain (``__cause__``, ``__context__``, urllib3's ``reason``,
#: requests' wrapped exception) are followed: a few suffice, and a cycle must not loop.
_MAX_CHAIN = 8
_PROXY_ERRORS = (requests.exceptions.ProxyError, urllib3.exceptions.ProxyError)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it wraps, breadth first, at most ``_MAX_CHAIN`` of them."""
    found: list[BaseException] = []
    queue: list[BaseException] = [exc]
    while queue and len(found) < _MAX_CHAIN:
        current = queue.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        reason = getattr(current, "reason", None)  # urllib3's MaxRetryError
        wrapped = current.args[0] if current.args else None  # requests' ConnectionError
        for link in (current.__cause__, current.__context__, reason, wrapped):
            if isinstance(link, BaseException):
                queue.append(link)
    return found


def is_connection_refused(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a connection the peer refused (and not through a proxy)."""
    chain = _chain(exc)
    if any(isinstance(link, _PROXY_ERRORS) for link in chain):
        return False
    return any(
        isinstance(link, ConnectionRefusedError)
        or (isinstance(link, OSError) and link.errno == errno.ECONNREFUSED)
        for link in chain
    )


def refused_by_loopback(base_url: str, exc: BaseException) -> bool:
    """Whether ``exc`` is a refused connection to a loopback ``base_url`` (never retried)."""
    host = urlsplit(base_url).hostname
    return host is not None and is_loopback(host) and is_connection_refused(exc)


def refusal_hint(base_url: str) -> str:
    """What to tell a user whose loopback ``base_url`` refused the connection."""
    port = urlsplit(base_url).port
    serve = "ossit-sandbox serve --db FILE" + (f" --port {port}" if port else "")
    return (
        f"connection refused by {base_url}: nothing is listening there; is the sandbox "
        f"running? (`{serve}`); not retried"
    )
