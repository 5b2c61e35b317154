"""Which Airbyte ``failure_type`` a failure is, and what it says to the person reading it.

Airbyte acts on the type: a ``config_error`` is shown to the user as theirs to fix and not
retried, a ``transient_error`` is retried by the platform, a ``system_error`` is ours.
"""

from __future__ import annotations

from ossit_client import (
    APIConnectionError,
    AuthenticationError,
    BudgetSettingError,
    BudgetStoreError,
    InternalServerError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
)
from ossit_sync.failure import describe, one_line, refused_key
from ossit_sync.loading.errors import InputError, UnknownStreamError
from ossit_sync.reading import ForeignStateError
from ossit_sync.stopping import Stopped

from ossit_airbyte.inputs import ConfigError
from ossit_airbyte.messages import FailureType

_CONFIG = (
    ConfigError,
    BudgetSettingError,
    AuthenticationError,
    PermissionDeniedError,
    PaymentRequiredError,
    UnknownStreamError,
    ForeignStateError,
)
"""Failures only a change of settings (or catalog, state or plan) can mend."""

_TRANSIENT = (APIConnectionError, RateLimitError, InternalServerError, BudgetStoreError, Stopped)
"""Failures a later attempt may not meet: the network, the rate limit, the server's 5xx, a
stop signal (a later attempt resumes from the last STATE passed on)."""


def failure_type(exc: BaseException) -> FailureType:
    """The protocol's failure type of ``exc`` (or of the error that caused it)."""
    for error in (exc, exc.__cause__):
        if isinstance(error, _CONFIG):
            return FailureType.config_error
        if isinstance(error, _TRANSIENT):
            return FailureType.transient_error
    return FailureType.system_error


def failure_text(exc: BaseException) -> str:
    """What failed, on one line, for the person who must act on it.

    A refused key says so however deep it was met (a batch's failure carries it as its
    cause), keeping where it was met: the stream and input line of the batch.
    """
    cause = exc.__cause__
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return refused_key(exc.status_code)
    if isinstance(cause, AuthenticationError | PermissionDeniedError) and isinstance(
        exc, InputError
    ):
        located = InputError(refused_key(cause.status_code), stream=exc.stream, line=exc.line)
        return one_line(describe(located))
    return one_line(describe(exc))
