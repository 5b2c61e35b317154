"""The throttled, retrying HTTP client for the Ossit API, shared by every connector: they
call resource methods and catch these exception classes, nothing more."""

from __future__ import annotations

from ._budget_file import STATE_DIR_ENV
from ._budget_url import BUDGET_URL_ENV
from ._client import OssitClient
from ._counters import Counters
from ._exceptions import (
    AnswerTooLargeError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BudgetFileError,
    BudgetSettingError,
    BudgetStoreError,
    ConflictError,
    GoneError,
    InternalServerError,
    InvalidAnswerError,
    NotFoundError,
    OssitError,
    PaginationError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    status_error_class,
)
from ._masking import mask_log_handlers
from ._origin import Origin, Signer, server_of
from ._pagination import Paginator
from ._secrets import check_base_url, check_domain_key
from .settings import ClientOptions

__all__ = [
    "BUDGET_URL_ENV",
    "STATE_DIR_ENV",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AnswerTooLargeError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetFileError",
    "BudgetSettingError",
    "BudgetStoreError",
    "ClientOptions",
    "ConflictError",
    "Counters",
    "GoneError",
    "InternalServerError",
    "InvalidAnswerError",
    "NotFoundError",
    "Origin",
    "OssitClient",
    "OssitError",
    "PaginationError",
    "Paginator",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "Signer",
    "UnprocessableEntityError",
    "check_base_url",
    "check_domain_key",
    "mask_log_handlers",
    "server_of",
    "status_error_class",
]
