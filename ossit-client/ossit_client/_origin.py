"""Which domain on which server a client speaks to, named without its key.

A bookmark, a derived interval id or a request budget means something only for one domain on
one server: ``Origin`` names that pair. The server is the base URL in one spelling per server
(``server_of``); the domain is an HMAC of that server under the key: stable for the key,
irreversible, and different on every server. ``Signer`` authenticates what a run saves for a
later run of the same domain (a cursor, see ``ossit_sync.reading.position``) with a key derived
from the domain key, so an edited or foreign value is recognised without storing the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_DOMAIN_CHARS = 24
"""Hex characters of a domain's name: 96 bits, far past any collision among domains."""
_SAVED = re.compile(rf"([0-9a-f]{{{_DOMAIN_CHARS}}})@(https?://.*)", re.DOTALL)
"""What ``str(origin)`` writes: a domain's name, ``@``, its server."""


def server_of(base_url: str) -> str:
    """The server ``base_url`` names, one spelling per server (``http://localhost:8765/`` and
    ``http://127.0.0.1:8765`` are one): scheme and host in lower case, no trailing dot, slash
    or default port; every name of this machine's loopback (``localhost``, ``::1``) spelled
    ``127.0.0.1``."""
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if host in ("localhost", "::1"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{parts.port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _derive(domain_key: str, purpose: str, server: str) -> bytes:
    return hmac.new(domain_key.encode(), f"ossit {purpose}\n{server}".encode(), "sha256").digest()


@dataclass(frozen=True)
class Origin:
    """One domain on one server: ``domain`` is a name derived from the key, never the key."""

    server: str
    domain: str

    @classmethod
    def of(cls, base_url: str, domain_key: str) -> Origin:
        """The origin of ``domain_key`` at ``base_url``."""
        server = server_of(base_url)
        return cls(server, _derive(domain_key, "domain", server).hex()[:_DOMAIN_CHARS])

    @classmethod
    def parse(cls, text: object) -> Origin | None:
        """The origin ``str(origin)`` wrote, or None for anything else."""
        saved = _SAVED.fullmatch(text) if isinstance(text, str) else None
        return cls(saved[2], saved[1]) if saved else None

    def __str__(self) -> str:
        return f"{self.domain}@{self.server}"


class Signer:
    """Signs values a run saves, so a later run of the same domain can trust them."""

    def __init__(self, base_url: str, domain_key: str) -> None:
        self._key = _derive(domain_key, "signing", server_of(base_url))

    def sign(self, *parts: str) -> str:
        """A short MAC of ``parts``, each prefixed by its length (unambiguous however split)."""
        data = b"".join(len(part.encode()).to_bytes(8, "big") + part.encode() for part in parts)
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()[:32]

    def verify(self, mac: object, *parts: str) -> bool:
        """Whether ``mac`` is the MAC of ``parts``."""
        return isinstance(mac, str) and hmac.compare_digest(mac, self.sign(*parts))

    def __repr__(self) -> str:
        return "Signer(***)"
