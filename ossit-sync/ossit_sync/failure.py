"""How a connector ends when it fails: one readable line, the details at DEBUG, exit 1.

Frameworks log a traceback after the message (singer-sdk also a bare "Config validation
failed" last), which buries the line an operator must read. Every connector ends through
``fail`` instead, so the last line of a failed run always says what failed and where.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

from ossit_sync.stopping import finished, whole


def one_line(text: str) -> str:
    """``text`` with its whitespace (line ends included) folded into single spaces."""
    return " ".join(text.split())


def describe(exc: BaseException) -> str:
    """What an exception says, or its class name when it says nothing."""
    return str(exc) or type(exc).__name__


def refused_key(status_code: int) -> str:
    """What a connector says when the API refuses its key (401/403): retrying cannot help."""
    return f"Ossit refused the domain key (HTTP {status_code}); check the domain_key setting."


def fail(logger: logging.Logger, headline: str, exc: BaseException, message: str) -> NoReturn:
    """Log ``exc`` in detail at DEBUG, then ``headline: message`` on one line; exit 1.

    A stop signal meanwhile neither cuts that line short nor changes the exit status.
    """
    with whole():
        logger.debug("What failed, in detail", exc_info=exc)
        logger.error("%s: %s", headline, one_line(message))
        finished(failed=True)
    sys.exit(1)
