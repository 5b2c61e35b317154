"""The client's exceptions: every failure at run time is an ``OssitError`` (bad arguments
are ``ValueError``/``TypeError``, before any request), so callers branch on classes, never
on status codes. A message names the call (method and path) and quotes the server's text
bounded and with controls escaped: it ends in log lines a server must not flood or forge.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._masking import SECRET_FILTER

#: The longest server text (``message``, an item's message) a message quotes, in characters.
MAX_SERVER_TEXT = 1000
#: The longest ``code``, ``field`` or item index a message quotes.
MAX_SERVER_NAME = 100
#: How many of a batch's bad items a message lists (``APIStatusError.items`` keeps them all).
MAX_LISTED_ITEMS = 10

#: C0 and C1 controls, line and paragraph separators and bidirectional overrides: what could
#: end a log line early, forge another, or drive a terminal.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def server_text(value: object, limit: int = MAX_SERVER_TEXT) -> str:
    """``value`` fit for a message: keys masked (before the cut, which could split one), cut,
    controls escaped."""
    text = SECRET_FILTER.mask(value if isinstance(value, str) else str(value))
    cut = len(text) > limit
    text = _UNPRINTABLE.sub(_escape, text[:limit])
    return text + f" [cut at {limit} characters]" if cut else text


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode()


class OssitError(Exception):
    """Base of every error this client raises; its arguments are masked here, once, so no
    echoed key leaks through ``str``, ``repr`` or a traceback."""

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
    """A 2xx answer that is not what the API promises; not retried (nonsense does not mend)."""


class AnswerTooLargeError(InvalidAnswerError):
    """An answer whose decoded body passed ``max_answer_bytes`` (a decompression bomb, say)."""


class PaginationError(InvalidAnswerError):
    """A list sequence that would never end: a repeated cursor, or pages that do not advance."""


class BudgetFileError(OssitError):
    """The budget file at ``path`` (or its directory or lock) cannot be used."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(message)


class BudgetStoreError(OssitError):
    """The Redis at ``url`` (password masked) holding the budget cannot be reached or used."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(message)


class BudgetSettingError(BudgetStoreError):
    """``budget_url`` itself is wrong (refused credentials, no such database, redis-py
    missing): a settings error that no retry mends."""


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
            text += f" {server_text(self.code, MAX_SERVER_NAME)}"
        text += f": {server_text(self.message)}"
        if self.field and not self.items:
            text += f" (field {server_text(self.field, MAX_SERVER_NAME)})"
        if self.items:
            parts = [
                f"[{server_text(item.get('index'), MAX_SERVER_NAME)}]"
                + (f".{server_text(item['field'], MAX_SERVER_NAME)}" if item.get("field") else "")
                + f": {server_text(item.get('message'))}"
                for item in self.items[:MAX_LISTED_ITEMS]
            ]
            text += "; items: " + "; ".join(parts)
            if len(self.items) > MAX_LISTED_ITEMS:
                text += f"; and {len(self.items) - MAX_LISTED_ITEMS} more"
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
    """The exception for a status and the API's error body, of any shape: only string
    ``code``/``field`` and object ``items`` are kept, keys masked (``scrub`` too)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    items = error.get("items")
    items = items if isinstance(items, list) else []
    return status_error_class(status_code)(
        method,
        path,
        status_code,
        code=_name(error.get("code")),
        message=server_text(scrub(str(error.get("message") or reason or "no error message"))),
        items=[SECRET_FILTER.mask_value(item) for item in items if type(item) is dict],
        field=_name(error.get("field")),
    )


def _name(value: Any) -> str | None:
    """A server's ``code`` or ``field``: a non-empty string, bounded, else None."""
    return server_text(value, MAX_SERVER_NAME) if isinstance(value, str) and value else None
