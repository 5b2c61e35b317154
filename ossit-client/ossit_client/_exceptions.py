"""The client's exception classes and the one function that maps a status to its class.

Callers (tap, target) branch on these classes, never on status codes. Every message says what
was asked (method and path, never a header or a body) and what the server answered. Every
failure at run time leaves the client as one of these (transport, answer and budget-file
failures included), so a connector needs one ``except OssitError``; only bad arguments are
``ValueError``/``TypeError``, raised before any request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._secrets import SECRET_FILTER


class OssitError(Exception):
    """Base of every error this client raises; its text never holds a registered key.

    The arguments are masked here, once, so no subclass or caller can forget to: a server
    that echoes the key, or a lower layer whose message quotes it, cannot leak it through
    ``str(error)``, ``repr(error)`` or a traceback of this error.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(SECRET_FILTER.mask(a) if isinstance(a, str) else a for a in args))


class _EndpointError(OssitError):
    """An error about one call, worded ``METHOD /path: detail``."""

    def __init__(self, method: str, path: str, detail: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {detail}")


class APIConnectionError(_EndpointError):
    """The server could not be reached, or the connection broke before an answer arrived."""


class APITimeoutError(APIConnectionError):
    """No answer within the configured timeout (per socket read, or for the whole answer)."""


class InvalidAnswerError(_EndpointError):
    """A 2xx answer that is not what the API promises (not JSON, not an object, a bad list).

    Not retried: a server that answers nonsense once is not expected to mend on a retry, and
    a caller that went on would read garbage as data.
    """


class AnswerTooLargeError(InvalidAnswerError):
    """An answer whose decoded body passed ``max_answer_bytes`` (a decompression bomb, say)."""


class PaginationError(InvalidAnswerError):
    """A list sequence that would never end: a repeated cursor, or pages that do not advance."""


class BudgetFileError(OssitError):
    """The shared budget file (or its directory or lock) cannot be opened, read or written.

    ``path`` is the file (or directory) that failed; the message says how to reset it.
    """

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(message)


class APIStatusError(OssitError):
    """The server answered with a non-2xx status."""

    status_code: int

    def __init__(
        self,
        method: str,
        path: str,
        status_code: int,
        code: str | None,
        message: str,
        items: list[dict[str, Any]] | None = None,
        field: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status_code = status_code
        self.code = code
        self.message = message
        self.items = items or []
        self.field = field
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.method} {self.path} -> {self.status_code}"
        if self.code:
            text += f" {self.code}"
        text += f": {self.message}"
        if self.field and not self.items:
            text += f" (field {self.field})"
        if self.items:
            parts = [
                f"[{item.get('index')}]"
                + (f".{item['field']}" if item.get("field") else "")
                + f": {item.get('message')}"
                for item in self.items
            ]
            text += "; items: " + "; ".join(parts)
        return text


class BadRequestError(APIStatusError):
    """400: the request was malformed."""


class AuthenticationError(APIStatusError):
    """401: the domain key is missing or unknown."""


class PaymentRequiredError(APIStatusError):
    """402: the plan does not allow this; never retried (repeat only after the plan changes)."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such object (or already deleted)."""


class ConflictError(APIStatusError):
    """409: e.g. a name already taken."""


class GoneError(APIStatusError):
    """410: the endpoint is retired; later calls to it raise this without a request."""


class UnprocessableEntityError(APIStatusError):
    """422: valid JSON but invalid data; ``items`` lists a batch's bad items."""


class RateLimitError(APIStatusError):
    """429 that persisted past the retry budget."""


class InternalServerError(APIStatusError):
    """>= 500 that persisted past the retry budget."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The exception class for a non-2xx status (unlisted 4xx fall back to APIStatusError)."""
    if status_code >= 500:
        return InternalServerError
    return _BY_STATUS.get(status_code, APIStatusError)


def make_status_error(
    method: str,
    path: str,
    status_code: int,
    body: Any,
    reason: str = "",
    scrub: Callable[[str], str] = str,
) -> APIStatusError:
    """Build the right exception from a status and the API's error body (any shape tolerated).

    ``scrub`` cleans the server's text (the client masks its key with it, should a server ever
    echo one back).
    """
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    items = error.get("items")
    return status_error_class(status_code)(
        method,
        path,
        status_code,
        code=error.get("code"),
        message=scrub(str(error.get("message") or reason or "no error message")),
        items=items if isinstance(items, list) else None,
        field=error.get("field"),
    )
