"""The one exception type every layer raises to produce a contract error answer."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer of the form ``{"error": {"code", "message", ...}}`` with an HTTP status.

    Storage and validation raise it; the app turns it into a response, so no layer below
    the routes needs to know about HTTP objects.
    """

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def not_found(what: str, name: object) -> ApiError:
    """A 404 naming the missing object."""
    return ApiError(404, "not_found", f"{what} {name!r} not found")


def invalid(field: str, message: str) -> ApiError:
    """A 422 naming the offending field."""
    return ApiError(422, "invalid_request", f"{field}: {message}", field=field)


def conflict(message: str) -> ApiError:
    """A 409, e.g. a name already taken among live siblings."""
    return ApiError(409, "conflict", message)
