"""Domain keys: issuing them, storing them hashed, and finding the domain a request's key opens.

The database holds only the SHA-256 of each key (:func:`hash_key`), as any server stores API
keys: a leaked database file reveals no key. A lookup hashes the presented key; the clear key
exists once, in the answer that creates the domain (:class:`NewDomain`), and afterwards only
in the requests of its holder.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ossit_sandbox.errors import unauthorized
from ossit_sandbox.store import domains
from ossit_sandbox.store.db import Store
from ossit_sandbox.store.domains import Domain

if TYPE_CHECKING:
    from fastapi import Request

KEY_PREFIX = "dk_"


def hash_key(key: str) -> str:
    """The stored form of a domain key (hex SHA-256 of its UTF-8 text).

    An unsalted fast hash suffices: keys are 192 random bits, not passwords, so there is
    nothing to guess by brute force, and a lookup stays one indexed query.
    """
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewDomain:
    """A domain just created, with its clear key: the only moment the server knows it."""

    domain: Domain
    key: str

    def __repr__(self) -> str:
        # The key is a secret: never let it reach a log line or a traceback.
        return f"NewDomain({self.domain!r})"


def create_domain(store: Store, name: str, time_zone: str = "UTC") -> NewDomain:
    """A new domain with a fresh random key (stored hashed; returned clear, once)."""
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    return NewDomain(domains.insert_domain(store, hash_key(key), name, time_zone), key)


def find_domain(store: Store, key: str) -> Domain | None:
    """The live domain holding ``key`` (the clear key a request presents), if any."""
    return domains.find_domain_by_hash(store, hash_key(key))


class DomainCache:
    """Key hash → live domain, so authenticating a request costs no query after the first.

    Only live domains are cached (never the keys that found none), so its size is bounded
    by the database's domains, not by what callers send.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._domains: dict[str, Domain] = {}

    def get(self, key: str) -> Domain | None:
        """The live domain of a (clear) key, if any."""
        key_hash = hash_key(key)
        domain = self._domains.get(key_hash)
        if domain is None:
            domain = domains.find_domain_by_hash(self.store, key_hash)
            if domain is not None:
                self._domains[key_hash] = domain
        return domain

    def put(self, domain: Domain) -> None:
        """Remember a changed domain."""
        self._domains[domain.key_hash] = domain

    def forget(self, key_hash: str) -> None:
        """Drop a deleted domain."""
        self._domains.pop(key_hash, None)


def repeated_authorization(raw_headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request carries more than one ``Authorization`` header (ASGI's raw headers).

    Such a request is refused whole (400, in the middleware): Starlette's ``headers.get``
    reads the first and a dict of the raw headers keeps the last, so with two, authentication
    and the rate limit, counters, faults and stored answers could each see another key.
    """
    return sum(name == b"authorization" for name, _ in raw_headers) > 1


def bearer_key(header: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header."""
    if header is None:
        return None
    scheme, _, key = header.partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def presented_key(request: Request) -> str:
    """The request's Bearer key; 401 when there is none."""
    key = bearer_key(request.headers.get("authorization"))
    if key is None:
        raise unauthorized("missing Authorization: Bearer <domain key> header")
    return key


def current_domain(request: Request) -> Domain:
    """The domain of the request's key; 401 when the key is missing or unknown."""
    cache: DomainCache = request.app.state.domains
    domain = cache.get(presented_key(request))
    if domain is None:
        raise unauthorized("unknown or retired domain key")
    return domain
