"""Reading one answer's body, bounded in time and in decoded size.

The body is streamed (``stream=True``) and read in chunks of at most ``CHUNK`` decoded bytes:
a small gzip answer can inflate to gigabytes, so what is counted against ``max_answer_bytes``
is the decoded size, and reading stops at the first chunk past it (urllib3 >= 2.6 inflates at
most the bytes asked for per read, so memory stays near the cap). Between chunks the attempt's
deadline is checked (see ``_deadline`` for reads that block).
"""

from __future__ import annotations

import time
from typing import NamedTuple

import requests

from ._exceptions import AnswerTooLargeError, APITimeoutError

#: Decoded bytes asked for per read: a 1000-record page (~300 KB) in one or two reads.
CHUNK = 256 * 1024


class AnswerLimits(NamedTuple):
    """How long one attempt may take in all, and how large its decoded answer may be."""

    seconds: float
    max_bytes: int


def read_body(
    response: requests.Response, limits: AnswerLimits, deadline: float, method: str, path: str
) -> bytes:
    """The decoded body, or ``AnswerTooLargeError`` / ``APITimeoutError`` naming the call.

    urllib3's own errors (a broken connection, a corrupt gzip stream) pass through for the
    caller to map, like requests' errors while the headers arrive.
    """
    declared = response.headers.get("Content-Length", "")
    plain = "Content-Encoding" not in response.headers
    if plain and declared.isdigit() and int(declared) > limits.max_bytes:
        raise _too_large(method, path, limits, f"it declares {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise deadline_error(method, path, limits)
        chunk = response.raw.read(CHUNK, decode_content=True)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limits.max_bytes:
            raise _too_large(method, path, limits, "reading stopped there")
        chunks.append(chunk)


def deadline_error(method: str, path: str, limits: AnswerLimits) -> APITimeoutError:
    """The error of an attempt whose whole exchange outlasted ``answer_timeout``."""
    return APITimeoutError(method, path, f"no answer within answer_timeout ({limits.seconds} s)")


def _too_large(method: str, path: str, limits: AnswerLimits, detail: str) -> AnswerTooLargeError:
    return AnswerTooLargeError(
        method,
        path,
        f"the answer is larger than max_answer_bytes ({limits.max_bytes} bytes decoded; "
        f"{detail}); not retried",
    )
