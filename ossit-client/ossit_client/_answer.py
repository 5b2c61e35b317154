"""One attempt, bounded in time as a whole and in the decoded size of its answer.

requests' ``timeout`` bounds each socket read, so a server trickling a byte every few seconds
would hold a call forever: the exchange runs in a thread (``exchange``) watched until the
deadline only; a late one stops at its next chunk. A small gzip answer can inflate to
gigabytes, so the decoded size is counted, chunk by chunk (urllib3 >= 2.6 inflates at most
what a read asks for).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import NamedTuple

import requests

from ._exceptions import AnswerTooLargeError, APITimeoutError

#: Decoded bytes asked for per read: a 1000-record page (~300 KB) in one or two reads.
CHUNK = 256 * 1024


class AnswerLimits(NamedTuple):
    """How long one attempt may take in all, and how large its decoded answer may be."""

    seconds: float
    max_bytes: int


def exchange(
    send: Callable[[], requests.Response], limits: AnswerLimits, method: str, path: str
) -> tuple[requests.Response, bytes]:
    """``send()``'s response and its body (``read_body``), or ``APITimeoutError`` once
    ``limits.seconds`` have passed; ``send``'s own errors pass through for the caller to map."""
    deadline = time.monotonic() + limits.seconds
    outcome: Future[tuple[requests.Response, bytes]] = Future()

    def run() -> None:
        try:
            with send() as response:
                body = read_body(response, limits, deadline, method, path)
            outcome.set_result((response, body))
        except BaseException as exc:  # handed to the caller, who decides
            outcome.set_exception(exc)

    # A daemon thread, not an executor's: a hung exchange must not hold the process's exit.
    threading.Thread(target=run, name="ossit-client-attempt", daemon=True).start()
    if not wait([outcome], limits.seconds).done:
        raise deadline_error(method, path, limits)
    return outcome.result()


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


def deadline_error(method: str, path: str, limits: AnswerLimits) -> APITimeoutError:
    """The error of an attempt whose whole exchange outlasted ``answer_timeout``."""
    return APITimeoutError(method, path, f"no answer within answer_timeout ({limits.seconds} s)")


def _too_large(method: str, path: str, limits: AnswerLimits, detail: str) -> AnswerTooLargeError:
    bound = f"max_answer_bytes ({limits.max_bytes} bytes decoded; {detail}); not retried"
    return AnswerTooLargeError(method, path, f"the answer is larger than {bound}")
