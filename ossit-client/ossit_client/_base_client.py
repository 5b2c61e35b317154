"""The one request loop: a turn in the shared budget, one attempt, and on a retryable failure
a wait (``Retry-After`` or jittered backoff) and the same request again, with the same
Idempotency-Key, until it succeeds, fails for good, or the retries (count or wait) are spent.
"""

from __future__ import annotations

import datetime
import email.utils
import time
import uuid
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NamedTuple, Self
from urllib.parse import quote

import orjson
import requests
import urllib3
from ossit_schemas import values

from ._answer import AnswerLimits, exchange
from ._budget import Budget, BudgetStore, EndpointGone, PauseRefused, safety_margin_ms
from ._budget_file import FileStore, state_file_path
from ._budget_url import check_budget_url, masked_url, resolve_budget_url
from ._counters import Counters
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    BudgetSettingError,
    GoneError,
    InvalidAnswerError,
    OssitError,
    RateLimitError,
    make_status_error,
)
from ._masking import SECRET_FILTER, masked_logger
from ._origin import Origin, Signer
from ._pagination import Paginator, list_records
from ._retry import (
    is_retryable_status,
    parse_retry_after,
    plan_wait,
    refusal_hint,
    refused_by_loopback,
)
from ._secrets import CONTROL, BearerAuth, check_domain_key, check_header_value
from ._waits import LONG_WAIT_SECONDS, until_text
from .settings import ClientOptions

logger = masked_logger(__name__)

#: What can go wrong while an attempt talks to the server, below the HTTP status: requests'
#: errors while the headers arrive, urllib3's while the body is read, the socket's own.
_TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
#: Of those, the ones that mean "too slow" rather than "broken".
_TIMEOUT_ERRORS = (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)

API_PREFIX = "/v1/api"

try:
    _VERSION = version("ossit-client")
except PackageNotFoundError:  # running from a source tree without metadata
    _VERSION = "0"


def build_path(template: str, path_params: Mapping[str, Any] | None = None) -> str:
    """``API_PREFIX + template`` with each ``{name}`` replaced by its value as one URL-quoted
    segment; ``""`` (the collection), ``.``/``..`` (removed by HTTP clients: another resource)
    and controls are refused before any request."""
    quoted: dict[str, str] = {}
    for name, value in (path_params or {}).items():
        text = str(value)
        if text in ("", ".", ".."):
            raise ValueError(f"path parameter {name!r} is {text!r}, which no request can address")
        if CONTROL.search(text):
            raise ValueError(f"path parameter {name!r} must not contain control characters")
        quoted[name] = quote(text, safe="")
    return API_PREFIX + (template.format_map(quoted) if quoted else template)


class _Outcome(NamedTuple):
    """One attempt's result: the decoded answer (``replayed``: the API answered with a stored
    answer, ``Idempotent-Replayed: true``), or a retryable failure, its reason and wait."""

    answer: dict[str, Any] | None = None
    replayed: bool = False
    failure: OssitError | None = None
    reason: str = ""
    retry_after: float | None = None


class BaseClient:
    """Owns the HTTP session, the shared budget and the retry loop (see ``OssitClient``)."""

    def __init__(self, domain_key: str, options: ClientOptions) -> None:
        domain_key = check_domain_key(domain_key)  # refused without being echoed
        SECRET_FILTER.register(domain_key)
        self.options = options
        self.base_url = options.base_url.rstrip("/")
        self.timeout = options.timeout
        self.rate_window = options.rate_window
        self.limits = AnswerLimits(options.whole_attempt_seconds, options.max_answer_bytes)
        self.counters = Counters()
        self.origin = Origin.of(self.base_url, domain_key)
        """The domain and server this client speaks to (see ``_origin``)."""
        self.signer = Signer(self.base_url, domain_key)
        self.server_date: datetime.datetime | None = None
        """The server's clock (its ``Date`` header) at the latest answer, if it sent one."""
        self._key_id = self.origin.domain[:8]
        self._gone: set[str] = set()

        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=options.pool_maxsize, max_retries=0
        )
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.auth = BearerAuth(domain_key)
        self._session.headers["User-Agent"] = options.user_agent or f"ossit-client/{_VERSION}"
        self._session.headers["Accept"] = "application/json"

        self._budget = Budget(
            self._open_store(options),
            options.max_requests_per_hour,
            options.rate_window,
            options.max_retry_wait,
        )

    def _open_store(self, options: ClientOptions) -> BudgetStore:
        """Redis if a budget URL is set, else this machine's file; named by the origin's domain,
        so every spelling of a server shares one."""
        url = resolve_budget_url(options.budget_url)
        if url is None:
            return FileStore(state_file_path(self.origin, options.state_dir))
        url = check_budget_url(url)  # from the environment: not checked with the options
        try:
            from ._budget_redis import RedisStore
        except ModuleNotFoundError as missing:
            if missing.name != "redis":
                raise
            raise BudgetSettingError(
                masked_url(url),
                "budget_url is set but redis-py is not installed: pip install "
                "'ossit-client[redis]', or unset budget_url and OSSIT_BUDGET_URL",
            ) from None
        window_ms = int(options.rate_window * 1000) + safety_margin_ms(options.rate_window)
        return RedisStore(url, self.origin.domain, ttl_ms=2 * window_ms)

    def request(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """One API call, retried as the rules say; its decoded JSON answer. A write carries
        ``idempotency_key`` (target-ossit's, stable across a crash) or a fresh uuid4."""
        endpoint = f"{method} {API_PREFIX}{template}"
        path = build_path(template, path_params)
        if endpoint in self._gone:
            raise _gone_error(method, path)
        headers: dict[str, str] = {}
        if method != "GET":
            # One key for all attempts: a write whose answer was lost is applied once.
            key = idempotency_key or str(uuid.uuid4())
            headers["Idempotency-Key"] = check_header_value("idempotency_key", key)
        data = None
        if body is not None:
            # Integers of any size written exactly (orjson raises beyond 64 bits): what the
            # API keeps is the API's to say, and it refuses by field what it does not.
            data = values.dumps(body)
            headers["Content-Type"] = "application/json"
        # Query parameters as the API reads them: None dropped, booleans as true/false.
        query = {
            name: ("true" if value else "false") if isinstance(value, bool) else str(value)
            for name, value in (params or {}).items()
            if value is not None
        }

        def send() -> requests.Response:
            return self._session.request(
                method,
                self.base_url + path,
                params=query,
                data=data,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )

        retry_number, waited, maybe_applied = 0, 0.0, False
        while True:
            outcome = self._attempt(endpoint, method, path, send)
            failure, reason = outcome.failure, outcome.reason
            if failure is None:
                assert outcome.answer is not None  # an attempt either answers or fails
                if outcome.replayed and not maybe_applied:
                    self.counters.add(replayed=1)
                return outcome.answer
            # An attempt that failed other than by a 429 (refused before any work) may have
            # been applied: a replay of it is this call's own write, not an earlier one's.
            maybe_applied = maybe_applied or reason != "429"
            wait = plan_wait(retry_number, outcome.retry_after, self.options)
            too_long = waited + wait > self.options.max_retry_wait
            if reason == "429":
                self.counters.add(rate_limited=1)
                # Shared with every process on this key, even if this call gives up now for
                # want of retries; never a wait this call itself refuses to make.
                if not too_long:
                    self._budget.pause(wait)
            if retry_number >= self.options.max_retries or too_long:
                why = f" (the next wait, {wait:.1f} s, would pass max_retry_wait)" * too_long
                logger.info("giving up after %d retries%s: %s", retry_number, why, failure)
                raise failure
            retry = f"retry {retry_number + 1}/{self.options.max_retries}"
            until = f", until {until_text(wait)}" if wait > LONG_WAIT_SECONDS else ""
            logger.info(
                "%s %s failed (%s); %s in %.2f s%s", method, path, reason, retry, wait, until
            )
            self.counters.retried(reason)
            if reason != "429":  # a 429's wait happens in the budget (wait_turn) instead
                time.sleep(wait)
                self.counters.add(retry_wait_seconds=wait)
            waited += wait
            retry_number += 1

    def paginate(
        self, template: str, params: Mapping[str, Any], path_params: Mapping[str, Any] | None = None
    ) -> Paginator:
        """A lazy iterator over every record of a list endpoint, following ``next_cursor``."""
        return Paginator(self, template, params, path_params)

    def request_records(self, method: str, template: str, **options: Any) -> list[dict[str, Any]]:
        """``request`` for an answer ``{"data": [...]}`` (a batch): its checked ``data``."""
        answer = self.request(method, template, **options)
        return list_records(answer, method, build_path(template, options.get("path_params")))

    #: The request path of a template and its parameters (how messages name an endpoint).
    path_of = staticmethod(build_path)

    def close(self) -> None:
        """Release pooled connections and the budget (file or Redis connections)."""
        self._session.close()
        self._budget.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, key_id={self._key_id!r})"

    def _attempt(
        self, endpoint: str, method: str, path: str, send: Callable[[], requests.Response]
    ) -> _Outcome:
        """A turn in the shared budget, one exchange within ``limits``, the turn settled; a
        final failure raised, a retryable one returned."""
        try:
            token, throttled = self._budget.take_turn(endpoint)
        except PauseRefused as refused:
            until = f"{until_text(refused.seconds)} ({refused.seconds:.1f} s from now)"
            detail = f"not sent: the server asked for no request until {until}, longer than "
            detail += f"max_retry_wait ({self.options.max_retry_wait:g} s)"
            raise RateLimitError(method, path, 429, "rate_limited", detail) from None
        except EndpointGone:
            self._gone.add(endpoint)
            raise _gone_error(method, path) from None
        self.counters.add(throttled_seconds=throttled, requests=1)
        try:
            response, body = exchange(send, self.limits, method, path)
        except BaseException as exc:
            self._budget.settle(token, None)
            error, reason = self._transport_error(method, path, exc)
            logger.debug("%s %s -> %s", method, path, reason)
            return _Outcome(failure=error, reason=reason)
        self._budget.settle(token, response.headers)

        status = response.status_code
        logger.debug("%s %s -> %d", method, path, status)
        self.server_date = _http_date(response.headers.get("Date"))
        if 200 <= status < 300:  # every 2xx answer of the API is a JSON object
            answer = _json(body, invalid=...)
            if type(answer) is not dict:
                what = "empty" if not body else "not JSON" if answer is ... else "not a JSON object"
                raise InvalidAnswerError(method, path, f"the {status} answer is {what}")
            replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
            return _Outcome(answer, replayed)

        error = make_status_error(
            method, path, status, _json(body), response.reason, SECRET_FILTER.mask
        )
        if status == 410:
            self._gone.add(endpoint)
            self._budget.mark_gone(endpoint)
        if not is_retryable_status(status):
            raise error
        retry_after = parse_retry_after(
            response.headers.get("Retry-After"), time.time(), ceiling=self.rate_window
        )
        return _Outcome(failure=error, reason=str(status), retry_after=retry_after)

    def _transport_error(
        self, method: str, path: str, exc: BaseException
    ) -> tuple[OssitError, str]:
        """A failure below HTTP as a retryable error and its reason; anything else, and a
        loopback host's refusal (``refused_by_loopback``), raised."""
        if isinstance(exc, APITimeoutError):  # the whole exchange's deadline (``_answer``)
            return exc, "timeout"
        if not isinstance(exc, _TRANSPORT_ERRORS):
            raise exc
        if refused_by_loopback(self.base_url, exc):
            logger.debug("%s %s -> connection refused by a loopback host", method, path)
            raise APIConnectionError(method, path, refusal_hint(self.base_url)) from exc
        error: OssitError
        if isinstance(exc, _TIMEOUT_ERRORS):
            detail = f"no answer within {self.timeout} s (timeout, per socket read)"
            error, reason = APITimeoutError(method, path, detail), "timeout"
        else:
            detail = f"connection failed: {type(exc).__name__}: {exc}"
            error, reason = APIConnectionError(method, path, detail), "connection"
        error.__cause__ = exc
        return error, reason


def _gone_error(method: str, path: str) -> GoneError:
    return GoneError(method, path, 410, "gone", "endpoint answered 410 earlier; not called again")


def _json(body: bytes, invalid: Any = None) -> Any:
    """A body's JSON value, or ``invalid`` for an empty body or one that is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return invalid


def _http_date(value: str | None) -> datetime.datetime | None:
    """An HTTP ``Date`` header as an aware time; None when absent or unreadable."""
    try:
        moment = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)
