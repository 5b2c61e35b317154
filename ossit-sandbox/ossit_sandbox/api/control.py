"""/_sandbox/*: health, per-key request stats and scripted faults (never rate-limited)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ossit_sandbox.api.common import answer, bearer_key, read_body
from ossit_sandbox.control import Control
from ossit_sandbox.errors import ApiError, invalid

router = APIRouter(prefix="/_sandbox")


def _control(request: Request) -> Control:
    return request.app.state.control


def _key(request: Request) -> str:
    key = bearer_key(request.headers.get("authorization"))
    if key is None:
        raise ApiError(401, "unauthorized", "missing Authorization: Bearer <domain key> header")
    return key


@router.get("/health")
async def health() -> Response:
    """Liveness, for the launcher."""
    return answer({"status": "ok"})


@router.get("/stats")
async def stats(request: Request) -> Response:
    """The counters of the caller's key."""
    return answer(_control(request).stats(_key(request)).as_dict())


@router.post("/stats/reset")
async def reset_stats(request: Request) -> Response:
    """Zero the caller's counters and rate-limit window."""
    key = _key(request)
    _control(request).reset_stats(key)
    return answer(_control(request).stats(key).as_dict())


def _fault_spec(body: dict[str, Any]) -> dict[str, Any]:
    method = body.get("method")
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise invalid("method", "must be an HTTP method or null")
    path = body.get("path", "/v1/api")
    if not isinstance(path, str) or not path.startswith("/"):
        raise invalid("path", "must be a path prefix such as /v1/api/points")
    status = body.get("status", 503)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise invalid("status", "must be an HTTP status code")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < -1:
        raise invalid("count", "must be a positive integer or -1 (forever)")
    retry_after = body.get("retry_after")
    if retry_after is not None and not isinstance(retry_after, str):
        raise invalid("retry_after", "must be a string such as '3' or 'http-date:3'")
    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        raise invalid("drop", "must be true or false")
    return {
        "method": method.upper() if method else None,
        "path": path, "status": status, "count": count,
        "retry_after": retry_after, "drop": drop,
    }  # fmt: skip


@router.post("/faults")
async def add_fault(request: Request) -> Response:
    """Script the next ``count`` matching requests of the caller's key to fail."""
    key = _key(request)
    spec = _fault_spec(await read_body(request))
    _control(request).faults.add(key, spec)
    return answer(spec, 201)


@router.delete("/faults")
async def clear_faults(request: Request) -> Response:
    """Remove the caller's scripted faults."""
    _control(request).faults.clear(_key(request))
    return answer({"cleared": True})
