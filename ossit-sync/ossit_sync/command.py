"""A connector's command line, whichever framework it stands on: how it starts, how it ends.

``start_command`` reads the JSON files the command line names before the framework does (a
file that is not JSON ends the run with one line naming it, not with the framework's
traceback), then masks secrets in the log handlers the framework installs. ``run_command``
runs the command with stop signals handled (``stopping``) and ends it one way: exit 0 once
it has finished, otherwise one readable line and exit 1 (``failure.fail``), whether a stop
signal, a reader of standard output that went away (broken pipe) or an error ended it.
The connector gives the words for a stop and for the errors its framework raises.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, cast

from ossit_client import mask_log_handlers
from ossit_client.settings import masked_setting_errors

from ossit_sync.failure import describe, fail
from ossit_sync.files import InputFileError, check_json_arguments
from ossit_sync.stopping import Stopped, broken_pipe, discard_output, finished, stop_on_signals

READER_GONE = "its standard output was closed before the end of the run (broken pipe)"
"""Why a run whose standard output lost its reader stopped."""


def start_command(
    make: Callable[[], Callable[[], object]],
    files: Mapping[str, str],
    logger: logging.Logger,
    headline: str,
) -> None:
    """Check the JSON files of ``sys.argv`` (``files``: option -> what its file holds), then
    run the command ``make`` returns, its framework's log handlers masking secrets."""
    try:
        check_json_arguments(sys.argv[1:], files)
    except InputFileError as exc:
        fail(logger, headline, exc, str(exc))
    command = make()  # a framework may install its log handlers here
    mask_log_handlers()  # ours now: secrets masked in every record they print
    command()


class _Refusal(Protocol):
    errors: list[str]


@contextlib.contextmanager
def settings_masked(
    config: Callable[[], Mapping[str, Any]], refusal: type[Exception]
) -> Iterator[None]:
    """Mask the secrets of ``config()`` in the ``errors`` of a ``refusal`` raised inside (a
    framework's refusal of the settings, e.g. singer-sdk's ``ConfigValidationError``): a
    check quotes the value it refuses, which may be the key pasted into another setting."""
    try:
        yield
    except refusal as exc:
        refused = cast(_Refusal, exc)
        refused.errors = masked_setting_errors(config(), refused.errors)
        raise exc from None


def run_command(
    command: Callable[[], object],
    logger: logging.Logger,
    headline: str,
    *,
    stopped: Callable[[Stopped], str],
    explained: Mapping[type[Exception], Callable[[Any], str]] | None = None,
) -> None:
    """Run ``command``; any failure ends it with ``headline: <why>`` on one line and exit 1.

    ``stopped`` says why a stop signal ended it; ``explained`` what to say of the errors of
    those classes (the framework's, such as a refused setting); any other error says what
    it is, or that standard output's reader went away.
    """
    try:
        stop_on_signals()
        command()
        finished()
    except Stopped as exc:
        fail(logger, headline, exc, stopped(exc))
    except Exception as exc:
        for kind, explain in (explained or {}).items():
            if isinstance(exc, kind):
                fail(logger, headline, exc, explain(exc))
        if not broken_pipe(exc):
            fail(logger, headline, exc, describe(exc))
        discard_output()
        fail(logger, headline, exc, READER_GONE)
