"""One attempt, bounded in time as a whole and in the decoded size of its answer.

requests' ``timeout`` bounds each socket read, so a server trickling a byte every few seconds
would hold a call forever: the exchange runs in a thread (``within``) watched until the
deadline only; a late one stops at its next chunk. A small gzip answer can inflate to
gigabytes, so the decoded size is counted, chunk by chunk (urllib3 >= 2.6 inflates at most
what a read asks for).
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
    """The decoded body, or ``AnswerTooLargeError`` / ``APITimeoutError`` (urllib3's own
    errors pass through for the caller to map)."""
    declared = response.headers.get("Content-Length", "")
    plain = "Content-Encoding" not in response.headers
    if plain and declared.isdigit() and int(declared) > limits.max_bytes:
        raise _too_large(method, path, limits, f"it declares {declared} bytes")
    body = bytearray()
    while chunk := response.raw.read(CHUNK, decode_content=True):
        body += chunk
        if len(body) > limits.max_bytes:
            raise _too_large(method, path, limits, "reading stopped there")
        if time.monotonic() > deadline:
            raise deadline_error(method, path, limits)
    return bytes(body)


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

    # A daemon thread, not an executor's: a hung exchange must not hold the process's exit.
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
