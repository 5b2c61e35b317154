"""A refused loopback connection fails at once: nothing listens there (typically the sandbox
is not running) and a minute of retries would not change that. ``ECONNREFUSED`` comes before
any byte is sent, so no write is half-applied; a refusal through a proxy is the proxy's and
keeps the ordinary retries. A hosted API's refusal (a deploy) is retried as usual.
"""

from __future__ import annotations

import errno
from urllib.parse import urlsplit

import requests
import urllib3

from ._secrets import is_loopback

#: Exceptions of a chain followed: a few suffice, and a cycle must not loop.
_MAX_CHAIN = 8
_PROXY_ERRORS = (requests.exceptions.ProxyError, urllib3.exceptions.ProxyError)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (cause, context, urllib3's ``reason``, requests' argument)."""
    found: list[BaseException] = []
    queue: list[BaseException] = [exc]
    while queue and len(found) < _MAX_CHAIN:
        current = queue.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        links = (current.__cause__, current.__context__, getattr(current, "reason", None))
        queue += [x for x in (*links, *current.args[:1]) if isinstance(x, BaseException)]
    return found


def is_connection_refused(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a connection the peer refused (and not through a proxy)."""
    chain = _chain(exc)
    return not any(isinstance(link, _PROXY_ERRORS) for link in chain) and any(
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
