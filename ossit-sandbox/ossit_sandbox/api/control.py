"""/_sandbox/*: health, per-key request stats and scripted faults (never rate-limited)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from ossit_sandbox.api.common import answer, read_body
from ossit_sandbox.auth import presented_key
from ossit_sandbox.control import Control
from ossit_sandbox.errors import invalid

router = APIRouter(prefix="/_sandbox")


def _control(request: Request) -> Control:
    control: Control = request.app.state.control
    return control


@router.get("/health")
async def health() -> Response:
    """Liveness, for the launcher."""
    return answer({"status": "ok"})


@router.get("/stats")
async def stats(request: Request) -> Response:
    """The counters of the caller's key."""
    return answer(_control(request).stats(presented_key(request)).as_dict())


@router.post("/stats/reset")
async def reset_stats(request: Request) -> Response:
    """Zero the caller's counters and rate-limit window."""
    key = presented_key(request)
    _control(request).reset_stats(key)
    return answer(_control(request).stats(key).as_dict())


# Any header-safe text is sent as is (clients' tests need odd values too), but the
# 'http-date:N' form is computed, so N must be a number a date can be made of.
_RETRY_AFTER = re.compile(r"http-date:[0-9]{1,9}(?:\.[0-9]{1,6})?|(?!http-date:)[\x20-\x7e]{1,64}")


def _text(value: object) -> str:
    """``value`` when it is a string, else text no pattern matches."""
    return value if isinstance(value, str) else "\n"


def _fault_spec(body: dict[str, Any]) -> dict[str, Any]:
    method = body.get("method")
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise invalid("method", "must be an HTTP method or null")
    path = body.get("path", "/v1/api")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 2048:
        raise invalid(
            "path", "must be a path prefix such as /v1/api/points, at most 2048 characters"
        )
    status = body.get("status", 503)
    # The injected answer carries the error body: 1xx, 204 and 304 may carry none, and
    # sending one anyway breaks the connection instead of answering.
    if (
        isinstance(status, bool)
        or not isinstance(status, int)
        or not 200 <= status <= 599
        or status in (204, 304)
    ):
        raise invalid("status", "must be an HTTP status code from 200 to 599, not 204 or 304")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < -1:
        raise invalid("count", "must be a positive integer or -1 (forever)")
    retry_after = body.get("retry_after")
    if retry_after is not None and not _RETRY_AFTER.fullmatch(_text(retry_after)):
        raise invalid(
            "retry_after",
            "must be a string such as '3' or 'http-date:3' (printable ASCII, at most 64"
            " characters; after 'http-date:' at most 9 digits)",
        )
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
    key = presented_key(request)
    spec = _fault_spec(await read_body(request))
    _control(request).faults.add(key, spec)
    return answer(spec, 201)


@router.delete("/faults")
async def clear_faults(request: Request) -> Response:
    """Remove the caller's scripted faults."""
    _control(request).faults.clear(presented_key(request))
    return answer({"cleared": True})
