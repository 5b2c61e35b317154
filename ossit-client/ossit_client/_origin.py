"""Which domain on which server a client speaks to, named without its key.

Identity needs its context: a bookmark, a derived interval id or a request budget means
something only for one domain on one server. ``Origin`` names that pair. The server is the
base URL in one spelling per server (``server_of``), so ``http://localhost:8765/`` and
``http://127.0.0.1:8765`` are the same server; the domain is an HMAC of that server under
the key: stable for the key, irreversible, and different on every server.

``Signer`` authenticates what a run writes for a later run of the same domain to trust (a
saved cursor, see ``ossit_sync.reading.position``) with a key derived from the domain key,
so an edited or foreign value is recognised without the key being stored anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_DOMAIN_CHARS = 24
"""Hex characters of a domain's name: 96 bits, far past any collision among domains."""


def server_of(base_url: str) -> str:
    """The server ``base_url`` names, one spelling per server.

    Scheme and host in lower case, no trailing dot, slash or default port; every name of
    this machine's loopback (``localhost``, ``::1``) spelled ``127.0.0.1``.
    """
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if host in ("localhost", "::1"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
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
        if not isinstance(text, str) or "@" not in text:
            return None
        domain, _, server = text.partition("@")
        if len(domain) != _DOMAIN_CHARS or not all(c in "0123456789abcdef" for c in domain):
            return None
        if not server.startswith(("http://", "https://")):
            return None
        return cls(server, domain)

    def __str__(self) -> str:
        return f"{self.domain}@{self.server}"


class Signer:
    """Signs values a run saves, so a later run of the same domain can trust them."""

    def __init__(self, base_url: str, domain_key: str) -> None:
        self._key = _derive(domain_key, "signing", server_of(base_url))

    def sign(self, *parts: str) -> str:
        """A short MAC of ``parts`` (unambiguous however they are split)."""
        mac = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in parts:
            data = part.encode()
            mac.update(len(data).to_bytes(8, "big"))
            mac.update(data)
        return mac.hexdigest()[:32]

    def verify(self, mac: object, *parts: str) -> bool:
        """Whether ``mac`` is the MAC of ``parts``."""
        return isinstance(mac, str) and hmac.compare_digest(mac, self.sign(*parts))

    def __repr__(self) -> str:
        return "Signer(***)"
