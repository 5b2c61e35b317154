"""What every route shares: body and list-parameter parsing, JSON answers, the thread pool.

Authentication is :mod:`ossit_sandbox.auth`'s; the limits come from the contract
(:mod:`ossit_schemas.contract`), so the sandbox enforces exactly what the client is told.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import orjson
from fastapi import Request, Response
from ossit_schemas import BATCH_SIZE_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, values
from starlette.concurrency import run_in_threadpool

from ossit_sandbox import timefmt, validate
from ossit_sandbox.errors import ApiError, invalid_items
from ossit_sandbox.store.db import Store
from ossit_sandbox.store.listing import ListQuery, decode_cursor
from ossit_sandbox.validate import FieldError

P = ParamSpec("P")
T = TypeVar("T")

# Not str.isdigit: it accepts other scripts' digits (fullwidth, Arabic-Indic), which int()
# reads too. No more digits than the largest limit has, so int() never reads a huge number.
_LIMIT = re.compile(f"[0-9]{{1,{len(str(PAGE_SIZE_MAX))}}}")


def store_of(request: Request) -> Store:
    """The app's store."""
    store: Store = request.app.state.store
    return store


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
    """The JSON object body: 400 when it is not JSON, 422 when it is not an object (or a
    number in it cannot be kept exactly, by that field's check)."""
    raw = await request.body()
    try:
        # Not orjson.loads: it makes floats of integers beyond 64 bits, which validation
        # could then not refuse; values.loads keeps them for the field's check to name.
        body = values.loads(raw) if raw else {}
    except values.JSONTextError:
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
    limit = PAGE_SIZE_DEFAULT
    if raw_limit is not None:
        if not _LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= PAGE_SIZE_MAX:
            raise FieldError("limit", f"must be an integer from 1 to {PAGE_SIZE_MAX}").api_error()
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
    if len(raw_items) > BATCH_SIZE_MAX:
        raise FieldError(field, f"must have at most {BATCH_SIZE_MAX} items").api_error()
    parsed: list[T] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_items):
        try:
            parsed.append(parse(raw))
        except FieldError as exc:
            errors.append({"index": index, "field": exc.field, "message": exc.message})
    if errors:
        raise invalid_items(f"{len(errors)} item(s) are invalid", errors)
    return parsed
