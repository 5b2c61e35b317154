"""What every route shares: auth, body and list-parameter parsing, JSON answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import orjson
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from ossit_sandbox import timefmt, validate
from ossit_sandbox.errors import ApiError
from ossit_sandbox.store.db import Store
from ossit_sandbox.store.domains import Domain, find_domain_by_hash, hash_key
from ossit_sandbox.store.listing import ListQuery, decode_cursor
from ossit_sandbox.validate import FieldError

P = ParamSpec("P")
T = TypeVar("T")

MAX_LIMIT = 1000
MAX_BATCH = 1000
_LIMIT = re.compile(r"[0-9]{1,4}", re.ASCII)


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
            domain = find_domain_by_hash(self.store, key_hash)
            if domain is not None:
                self._domains[key_hash] = domain
        return domain

    def put(self, domain: Domain) -> None:
        """Remember a changed domain."""
        self._domains[domain.key_hash] = domain

    def forget(self, key_hash: str) -> None:
        """Drop a deleted domain."""
        self._domains.pop(key_hash, None)


def bearer_key(header: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header."""
    if header is None:
        return None
    scheme, _, key = header.partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def store_of(request: Request) -> Store:
    """The app's store."""
    return request.app.state.store


def presented_key(request: Request) -> str:
    """The request's Bearer key; 401 when there is none."""
    key = bearer_key(request.headers.get("authorization"))
    if key is None:
        raise ApiError(401, "unauthorized", "missing Authorization: Bearer <domain key> header")
    return key


def current_domain(request: Request) -> Domain:
    """The domain of the request's key; 401 when the key is missing or unknown."""
    domain = request.app.state.domains.get(presented_key(request))
    if domain is None:
        raise ApiError(401, "unauthorized", "unknown or retired domain key")
    return domain


def answer(data: Any, status: int = 200) -> Response:
    """A JSON answer serialised by orjson (no pydantic on the hot path)."""
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


async def run(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking SQLite work in the thread pool, off the event loop.

    A cancelled request still waits for its thread to finish before unwinding: the thread
    may be using the request's open write transaction, which must not be rolled back (and
    its lock released) under it. A thread cannot be stopped, and anyio's own shield does
    not hold against asyncio's ``Task.cancel``.
    """
    work = asyncio.ensure_future(run_in_threadpool(func, *args, **kwargs))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        await asyncio.wait([work])
        raise


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object body: 400 when it is not JSON, 422 when it is not an object."""
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise ApiError(400, "malformed_json", "the request body is not valid JSON") from None
    try:
        return validate.json_object(body)
    except FieldError as exc:
        raise exc.api_error() from None


def checked(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a validator, turning its FieldError into a 422 naming the field."""
    try:
        return func(*args, **kwargs)
    except FieldError as exc:
        raise exc.api_error() from None


def list_query(request: Request) -> ListQuery:
    """``limit``, ``cursor``, ``updated_since`` and ``include_deleted`` of a list request."""
    params = request.query_params
    raw_limit = params.get("limit")
    limit = 100
    if raw_limit is not None:
        # Not str.isdigit: it accepts other scripts' digits (fullwidth, Arabic-Indic), which
        # int() reads too.
        if not _LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise FieldError("limit", f"must be an integer from 1 to {MAX_LIMIT}").api_error()
        limit = int(raw_limit)
    cursor = params.get("cursor")
    since = params.get("updated_since")
    if since is not None:
        try:
            since = timefmt.parse_timestamp(since)
        except ValueError as exc:
            raise FieldError("updated_since", str(exc)).api_error() from None
    return ListQuery(
        limit=limit,
        cursor=decode_cursor(cursor) if cursor else None,
        updated_since=since,
        include_deleted=checked(validate.query_bool, params, "include_deleted"),
    )


def query_date(request: Request, field: str) -> str | None:
    """An optional ``YYYY-MM-DD`` query parameter."""
    value = request.query_params.get(field)
    if value is None:
        return None
    return checked(validate.date, {field: value}, field, None)


def batch_items(body: dict[str, Any], field: str, parse: Callable[[Any], T]) -> list[T]:
    """The parsed items of a batch body (a JSON array of at most 1000 under ``field``).

    Every item is parsed before anything is applied, so one 422 lists each bad item's index
    and field and the batch stays all-or-nothing.
    """
    raw_items = body.get(field)
    if not isinstance(raw_items, list):
        raise FieldError(field, "is required, an array of items").api_error()
    if len(raw_items) > MAX_BATCH:
        raise FieldError(field, f"must have at most {MAX_BATCH} items").api_error()
    parsed: list[T] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_items):
        try:
            parsed.append(parse(raw))
        except FieldError as exc:
            errors.append({"index": index, "field": exc.field, "message": exc.message})
    if errors:
        raise ApiError(422, "invalid_items", f"{len(errors)} item(s) are invalid", items=errors)
    return parsed
