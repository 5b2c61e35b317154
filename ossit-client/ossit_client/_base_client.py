"""The one request loop: a turn in the shared budget, one attempt, and on a retryable failure
a wait (``Retry-After`` or jittered backoff) and the same request again, with the same
Idempotency-Key, until it succeeds, fails for good, or the retries (count or wait) are spent.
"""

from __future__ import annotations

import datetime
import email.utils
import time
import uuid
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NamedTuple
from urllib.parse import quote

import orjson
import requests
import urllib3
from ossit_schemas import values

from ._answer import AnswerLimits, Late, deadline_error, read_body, within
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
from ._refusal import refusal_hint, refused_by_loopback
from ._retry import is_retryable_status, parse_retry_after, plan_wait
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


def encode_query(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as the API reads them: None dropped, booleans as ``true``/``false``."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for name, value in (params or {}).items()
        if value is not None
    }


def _segment(name: str, value: Any) -> str:
    """One path parameter as one URL-quoted segment; ``""`` (the collection), ``.``/``..``
    (removed by HTTP clients: another resource) and controls are refused before any request.
    """
    text = str(value)
    if text in ("", ".", ".."):
        raise ValueError(f"path parameter {name!r} is {text!r}, which no request can address")
    if CONTROL.search(text):
        raise ValueError(f"path parameter {name!r} must not contain control characters")
    return quote(text, safe="")


def build_path(template: str, path_params: Mapping[str, Any] | None) -> str:
    """``API_PREFIX + template`` with each ``{name}`` replaced by the URL-quoted value."""
    quoted = {name: _segment(name, value) for name, value in (path_params or {}).items()}
    return API_PREFIX + (template.format_map(quoted) if quoted else template)


class _Outcome(NamedTuple):
    """One attempt's result: the decoded answer, or a retryable failure and its reason."""

    answer: dict[str, Any] | None = None
    failure: OssitError | None = None
    reason: str = ""
    retry_after: float | None = None
    replayed: bool = False
    """The API answered with a stored answer (``Idempotent-Replayed: true``)."""


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

    # -- public plumbing -------------------------------------------------------------------

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
            raise self._gone_error(method, path)
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
        query = encode_query(params)
        url = self.base_url + path

        retry_number, waited, maybe_applied = 0, 0.0, False
        while True:
            try:
                token, throttled = self._budget.take_turn(endpoint)
            except PauseRefused as refused:
                raise self._pause_refused(method, path, refused.seconds) from None
            except EndpointGone:
                self._gone.add(endpoint)
                raise self._gone_error(method, path) from None
            self.counters.add(throttled_seconds=throttled, requests=1)
            outcome = self._attempt(token, endpoint, method, path, url, query, data, headers)
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
            policy = self.options
            too_long = waited + wait > policy.max_retry_wait
            if reason == "429":
                self.counters.add(rate_limited=1)
                # Shared with every process on this key, even if this call gives up now for
                # want of retries; never a wait this call itself refuses to make.
                if not too_long:
                    self._budget.pause(wait)
            if retry_number >= policy.max_retries or too_long:
                why = f" (the next wait, {wait:.1f} s, would pass max_retry_wait)" * too_long
                logger.info("giving up after %d retries%s: %s", retry_number, why, failure)
                raise failure
            logger.info(
                "%s %s failed (%s); retry %d/%d in %.2f s%s",
                method,
                path,
                reason,
                retry_number + 1,
                policy.max_retries,
                wait,
                f", until {until_text(wait)}" if wait > LONG_WAIT_SECONDS else "",
            )
            self.counters.retried(reason)
            if reason != "429":  # a 429's wait happens in the budget (wait_turn) instead
                time.sleep(wait)
                self.counters.add(retry_wait_seconds=wait)
            waited += wait
            retry_number += 1

    def paginate(
        self,
        template: str,
        params: Mapping[str, Any],
        path_params: Mapping[str, Any] | None = None,
    ) -> Paginator:
        """A lazy iterator over every record of a list endpoint, following ``next_cursor``."""
        return Paginator(self, template, params, path_params)

    def request_records(self, method: str, template: str, **options: Any) -> list[dict[str, Any]]:
        """``request`` for an answer ``{"data": [...]}`` (a batch): its checked ``data``."""
        answer = self.request(method, template, **options)
        path = self.path_of(template, options.get("path_params"))
        return list_records(answer, method, path)

    @staticmethod
    def path_of(template: str, path_params: Mapping[str, Any] | None = None) -> str:
        """The request path of ``template`` (how messages name an endpoint)."""
        return build_path(template, path_params)

    def close(self) -> None:
        """Release pooled connections and the budget (file or Redis connections)."""
        self._session.close()
        self._budget.close()

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, key_id={self._key_id!r})"

    # -- one attempt -----------------------------------------------------------------------

    def _attempt(
        self,
        token: str,
        endpoint: str,
        method: str,
        path: str,
        url: str,
        query: dict[str, str],
        data: bytes | None,
        headers: dict[str, str],
    ) -> _Outcome:
        """Send once within ``answer_timeout`` and settle the turn ``token``; raise a final
        failure, return a retryable one."""
        deadline = time.monotonic() + self.limits.seconds

        def exchange() -> tuple[requests.Response, bytes]:
            response = self._session.request(
                method,
                url,
                params=query,
                data=data,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
            with response:
                return response, read_body(response, self.limits, deadline, method, path)

        try:
            response, body = within(self.limits.seconds, exchange)
        except BaseException as exc:
            self._budget.settle(token, None)
            if isinstance(exc, Late | APITimeoutError):
                late = deadline_error(method, path, self.limits)
                return self._failed(method, path, late, "timeout")
            if isinstance(exc, _TRANSPORT_ERRORS):
                return self._transport_failure(method, path, exc)
            raise
        self._budget.settle(token, response.headers)

        status = response.status_code
        logger.debug("%s %s -> %d", method, path, status)
        self.server_date = _http_date(response.headers.get("Date"))
        if 200 <= status < 300:
            replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
            return _Outcome(answer=self._decode(method, path, status, body), replayed=replayed)

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

    # -- helpers ---------------------------------------------------------------------------

    def _transport_failure(self, method: str, path: str, exc: BaseException) -> _Outcome:
        """A failure below HTTP as a retryable ``APITimeoutError``/``APIConnectionError``; a
        loopback host's refusal is final (see ``_refusal``)."""
        if refused_by_loopback(self.base_url, exc):
            refused = APIConnectionError(method, path, refusal_hint(self.base_url))
            logger.debug("%s %s -> connection refused by a loopback host", method, path)
            raise refused from exc
        error: OssitError
        if isinstance(exc, _TIMEOUT_ERRORS):
            detail = f"no answer within {self.timeout} s (timeout, per socket read)"
            error, reason = APITimeoutError(method, path, detail), "timeout"
        else:
            detail = f"connection failed: {type(exc).__name__}: {exc}"
            error, reason = APIConnectionError(method, path, detail), "connection"
        error.__cause__ = exc
        return self._failed(method, path, error, reason)

    @staticmethod
    def _failed(method: str, path: str, error: OssitError, reason: str) -> _Outcome:
        logger.debug("%s %s -> %s", method, path, reason)
        return _Outcome(failure=error, reason=reason)

    @staticmethod
    def _decode(method: str, path: str, status: int, body: bytes) -> dict[str, Any]:
        """The answer as a JSON object, which every 2xx answer of the API is."""
        answer = _json(body, invalid=...)
        if type(answer) is not dict:
            what = "empty" if not body else "not JSON" if answer is ... else "not a JSON object"
            raise InvalidAnswerError(method, path, f"the {status} answer is {what}")
        return answer

    @staticmethod
    def _gone_error(method: str, path: str) -> GoneError:
        detail = "endpoint answered 410 earlier; not called again"
        return GoneError(method, path, 410, "gone", detail)

    def _pause_refused(self, method: str, path: str, seconds: float) -> RateLimitError:
        """The error of a call not sent: the server's pause outlasts ``max_retry_wait``."""
        return RateLimitError(
            method,
            path,
            429,
            "rate_limited",
            f"not sent: the server asked for no request until {until_text(seconds)} "
            f"({seconds:.1f} s from now), longer than max_retry_wait "
            f"({self.options.max_retry_wait:g} s)",
        )


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
