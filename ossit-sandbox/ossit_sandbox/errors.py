"""The contract's error answer, built in this one place for every layer that refuses a request.

Every non-2xx answer has the body ``{"error": {"code", "message", ...}}``. The routes, the
validators, the storage, the app's exception handlers, the outer middleware (413, 429,
faults) and the idempotency replay all raise or send an :class:`ApiError`, so the shape and
the default code of each status cannot differ between them.
"""

from __future__ import annotations

from typing import Any

import orjson

CODES = {
    400: "bad_request", 401: "unauthorized", 402: "payment_required", 403: "forbidden",
    404: "not_found", 405: "method_not_allowed", 409: "conflict", 410: "gone",
    413: "payload_too_large",
    422: "invalid_request", 429: "rate_limited", 500: "internal_error", 502: "bad_gateway",
    503: "service_unavailable", 504: "gateway_timeout",
}  # fmt: skip
"""The code of an error answer that has no more precise one (an injected fault's, a 429's)."""


class ApiError(Exception):
    """An answer of the form ``{"error": {"code", "message", ...}}`` with an HTTP status.

    Storage and validation raise it; the app turns it into a response, so no layer below
    the routes needs to know about HTTP objects. ``extra`` adds keys such as ``field`` or
    ``items`` next to the code and message.
    """

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    @classmethod
    def of_status(cls, status: int, message: str) -> ApiError:
        """An error with the usual code of ``status`` (``error`` for a status without one)."""
        return cls(status, CODES.get(status, "error"), message)

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        return {"error": {"code": self.code, "message": self.message, **self.extra}}

    def encoded(self) -> bytes:
        """The body as the bytes sent."""
        return orjson.dumps(self.body())


def not_found(what: str, name: object) -> ApiError:
    """A 404 naming the missing object."""
    return ApiError(404, "not_found", f"{what} {name!r} not found")


def invalid(field: str, message: str) -> ApiError:
    """A 422 naming the offending field."""
    return ApiError(422, "invalid_request", f"{field}: {message}", field=field)


def conflict(message: str) -> ApiError:
    """A 409, e.g. a name already taken among live siblings."""
    return ApiError(409, "conflict", message)


def unauthorized(message: str) -> ApiError:
    """A 401: the request's key is missing or belongs to no live domain."""
    return ApiError(401, "unauthorized", message)


def invalid_items(message: str, items: list[dict[str, Any]]) -> ApiError:
    """A batch's 422: every bad item's ``index``, ``field`` and ``message``; nothing applied."""
    return ApiError(422, "invalid_items", message, items=items)
