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
    text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), text[:limit])
    return text + f" [cut at {limit} characters]" if cut else text


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


_BY_STATUS: dict[int, type[APIStatusError]] = {}
"""The status -> class table, filled by each class's ``status`` (500 stands for any >= 500)."""


class APIStatusError(OssitError):
    """The server answered with a non-2xx status; a subclass's ``status`` enters the table."""

    def __init_subclass__(cls, status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            _BY_STATUS[status] = cls

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
        text = f"{method} {path} -> {status_code}"
        if code:
            text += f" {server_text(code, MAX_SERVER_NAME)}"
        text += f": {server_text(message)}"
        if field and not self.items:
            text += f" (field {server_text(field, MAX_SERVER_NAME)})"
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
        super().__init__(text)


class BadRequestError(APIStatusError, status=400):
    """400: the request was malformed."""


class AuthenticationError(APIStatusError, status=401):
    """401: the domain key is missing or unknown."""


class PaymentRequiredError(APIStatusError, status=402):
    """402: the plan does not allow this; never retried (repeat only after the plan changes)."""


class PermissionDeniedError(APIStatusError, status=403):
    """403: the key may not do this."""


class NotFoundError(APIStatusError, status=404):
    """404: no such object (or already deleted)."""


class ConflictError(APIStatusError, status=409):
    """409: e.g. a name already taken."""


class GoneError(APIStatusError, status=410):
    """410: the endpoint is retired; later calls to it raise this without a request."""


class UnprocessableEntityError(APIStatusError, status=422):
    """422: valid JSON but invalid data; ``items`` lists a batch's bad items."""


class RateLimitError(APIStatusError, status=429):
    """429 that persisted past the retry budget."""


class InternalServerError(APIStatusError, status=500):
    """>= 500 that persisted past the retry budget."""


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The exception class for a non-2xx status (unlisted 4xx fall back to APIStatusError)."""
    return _BY_STATUS.get(500 if status_code >= 500 else status_code, APIStatusError)


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
    error = error if isinstance(error, dict) else {}
    items = listed if isinstance(listed := error.get("items"), list) else []
    items = [SECRET_FILTER.mask_value(item) for item in items if type(item) is dict]
    message = server_text(scrub(str(error.get("message") or reason or "no error message")))
    code, field = _name(error.get("code")), _name(error.get("field"))
    return status_error_class(status_code)(method, path, status_code, code, message, items, field)


def _name(value: Any) -> str | None:
    """A server's ``code`` or ``field``: a non-empty string, bounded, else None."""
    return server_text(value, MAX_SERVER_NAME) if isinstance(value, str) and value else None
