"""A long wait says until when: a sync silent for minutes looks dead and gets killed."""

from __future__ import annotations

import datetime
import logging

#: Every wait longer than this is logged at INFO, whatever its cause.
LONG_WAIT_SECONDS = 30.0


def until_text(seconds: float) -> str:
    """The UTC moment ``seconds`` from now, e.g. ``2026-11-25T04:01:53Z``."""
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def log_wait(
    log: logging.Logger, seconds: float, reason: str, *, loud_above: float = LONG_WAIT_SECONDS
) -> None:
    """Log a wait at INFO when it lasts more than ``loud_above`` seconds, else at DEBUG."""
    level = logging.INFO if seconds > loud_above else logging.DEBUG
    if log.isEnabledFor(level):
        log.log(level, "%s; waiting %.1f s, until %s", reason, seconds, until_text(seconds))
