"""One attempt, bounded in time as a whole and in the decoded size of its answer.

requests' ``timeout`` bounds each socket operation, not the answer: a server that sends one
byte every few seconds -- of the status line, the headers or the body -- would hold a call
forever, each read well within its timeout, and nothing public in requests or urllib3 bounds
the whole exchange. So the exchange runs in a thread of its own (``within``) and the caller
waits for it until the deadline only; a late exchange is left to end by itself: it stops
reading at its next chunk (the deadline is checked between chunks), or when the server stops
sending or a read times out, and closes its connection then.

The body is streamed and read in chunks of at most ``CHUNK`` decoded bytes: a small gzip
answer can inflate to gigabytes, so what is counted against ``max_answer_bytes`` is the decoded
size, and reading stops at the first chunk past it (urllib3 >= 2.6 inflates at most the bytes
asked for per read, so memory stays near the cap).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import requests

from ._exceptions import AnswerTooLargeError, APITimeoutError

T = TypeVar("T")

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


class Late(Exception):
    """The exchange did not end before its deadline (it goes on, unwatched, in its thread)."""


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result (or its exception), or ``Late`` once ``seconds`` have passed."""
    outcome: list[T] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the caller, who decides
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="ossit-client-attempt", daemon=True).start()
    if not done.wait(seconds):
        raise Late
    if failure:
        raise failure[0]
    return outcome[0]


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
