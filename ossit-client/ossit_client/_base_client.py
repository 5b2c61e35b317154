"""The one request loop: session, budget, retries, error mapping. Resources only build paths.

Every call goes through ``BaseClient.request``: it refuses an endpoint already known to be
gone, waits for a turn in the shared budget, sends once, and on a retryable failure waits (the
server's ``Retry-After`` or full-jitter backoff) and sends again with the same Idempotency-Key,
until it succeeds, the failure is final, or the retry budget (count or total wait) is spent.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple, NoReturn
from urllib.parse import quote

import orjson
import requests
from requests.adapters import HTTPAdapter

from ._counters import Counters
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    GoneError,
    OssitError,
    make_status_error,
)
from ._pagination import Paginator
from ._retry import RetryPolicy, is_retryable_status, parse_retry_after, plan_wait
from ._secrets import SECRET_FILTER, BearerAuth, check_base_url, fingerprint, install_filter
from ._state_file import StateFile, state_file_path
from ._throttle import Throttle

logger = logging.getLogger(__name__)
install_filter(__name__, "urllib3.connectionpool", "urllib3.connection")

API_PREFIX = "/v1/api"

try:
    _VERSION = version("ossit-client")
except PackageNotFoundError:  # running from a source tree without metadata
    _VERSION = "0"


def encode_query(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as the API reads them: None dropped, booleans as ``true``/``false``."""
    if not params:
        return {}
    query: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        query[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return query


def build_path(template: str, path_params: Mapping[str, Any] | None) -> str:
    """``API_PREFIX + template`` with each ``{name}`` replaced by the URL-quoted value."""
    if not path_params:
        return API_PREFIX + template
    quoted = {name: quote(str(value), safe="") for name, value in path_params.items()}
    return API_PREFIX + template.format_map(quoted)


class _Outcome(NamedTuple):
    """One attempt's result: the decoded answer, or a retryable failure and its reason."""

    answer: Any = None
    failure: OssitError | None = None
    reason: str = ""
    retry_after: float | None = None


class BaseClient:
    """Owns the HTTP session, the shared budget and the retry loop (see ``OssitClient``)."""

    def __init__(
        self,
        domain_key: str,
        *,
        base_url: str,
        timeout: float,
        max_retries: int,
        max_requests_per_hour: int,
        rate_window: float,
        user_agent: str | None,
        allow_insecure_http: bool,
        state_dir: str | Path | None,
        backoff_base: float,
        backoff_max: float,
        max_retry_wait: float,
        pool_maxsize: int,
    ) -> None:
        if not isinstance(domain_key, str) or not domain_key.strip():
            raise ValueError("domain_key must be a non-empty string")
        SECRET_FILTER.register(domain_key)
        self.base_url = check_base_url(base_url, allow_insecure_http)
        self.timeout = timeout
        self.retry_policy = RetryPolicy(max_retries, backoff_base, backoff_max, max_retry_wait)
        self.counters = Counters()
        self._key_id = fingerprint(self.base_url, domain_key)[:8]
        self._gone: set[str] = set()

        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.auth = BearerAuth(domain_key)
        self._session.verify = True
        self._session.headers["User-Agent"] = user_agent or f"ossit-client/{_VERSION}"
        self._session.headers["Accept"] = "application/json"

        rate = Throttle.rate(max_requests_per_hour, rate_window)
        self._state = StateFile(state_file_path(domain_key, self.base_url, state_dir), rate)
        self._throttle = Throttle(self._state, max_requests_per_hour)

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
    ) -> Any:
        """Send one API call (retried as the rules say) and return its decoded JSON answer.

        A write carries ``idempotency_key`` when given (a caller that can name the same
        write again after a crash, see target-ossit), else a fresh uuid4.
        """
        endpoint = f"{method} {API_PREFIX}{template}"
        path = build_path(template, path_params)
        if endpoint in self._gone or self._state.is_gone(endpoint):
            self._gone.add(endpoint)
            raise GoneError(
                method, path, 410, "gone", "endpoint answered 410 earlier; not called again"
            )
        headers: dict[str, str] = {}
        if method != "GET":
            # One key for all attempts: a write whose answer was lost is applied once.
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        query = encode_query(params)
        url = self.base_url + path

        retry_number, waited = 0, 0.0
        while True:
            token, throttled = self._throttle.wait_turn()
            self.counters.add(throttled_seconds=throttled, requests=1)
            try:
                outcome = self._attempt(endpoint, method, path, url, query, data, headers)
            finally:
                self._throttle.settle(token)
            if outcome.failure is None:
                return outcome.answer
            failure, reason = outcome.failure, outcome.reason
            wait = plan_wait(retry_number, outcome.retry_after, self.retry_policy)
            if reason == "429":
                self.counters.add(rate_limited=1)
                # Shared with every process on this key, even if this call gives up now.
                self._throttle.pause(wait)
            policy = self.retry_policy
            if retry_number >= policy.max_retries or waited + wait > policy.max_retry_wait:
                self._give_up(failure, retry_number)
            logger.info(
                "%s %s failed (%s); retry %d/%d in %.2f s",
                method,
                path,
                reason,
                retry_number + 1,
                policy.max_retries,
                wait,
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

    def close(self) -> None:
        """Release pooled connections and the budget file."""
        self._session.close()
        self._state.close()

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, key_id={self._key_id!r})"

    # -- one attempt -----------------------------------------------------------------------

    def _attempt(
        self,
        endpoint: str,
        method: str,
        path: str,
        url: str,
        query: dict[str, str],
        data: bytes | None,
        headers: dict[str, str],
    ) -> _Outcome:
        """Send once; raise at once for a final failure (a non-retryable status)."""
        try:
            response = self._session.request(
                method,
                url,
                params=query,
                data=data,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            logger.debug("%s %s -> timeout", method, path)
            error: OssitError = APITimeoutError(method, path, f"no answer within {self.timeout} s")
            error.__cause__ = exc
            return _Outcome(failure=error, reason="timeout")
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            logger.debug("%s %s -> connection error", method, path)
            detail = SECRET_FILTER.mask(f"connection failed: {type(exc).__name__}: {exc}")
            error = APIConnectionError(method, path, detail)
            error.__cause__ = exc
            return _Outcome(failure=error, reason="connection")

        status = response.status_code
        logger.debug("%s %s -> %d", method, path, status)
        self._throttle.observe(response.headers)
        if 200 <= status < 300:
            return _Outcome(answer=self._decode(method, path, response))

        error = make_status_error(
            method, path, status, self._error_body(response), response.reason, SECRET_FILTER.mask
        )
        if status == 410:
            self._gone.add(endpoint)
            self._state.mark_gone(endpoint)
        if not is_retryable_status(status):
            raise error
        retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
        return _Outcome(failure=error, reason=str(status), retry_after=retry_after)

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _decode(method: str, path: str, response: requests.Response) -> Any:
        if not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise APIStatusError(
                method, path, response.status_code, "invalid_json", "the answer is not JSON"
            ) from exc

    @staticmethod
    def _error_body(response: requests.Response) -> Any:
        try:
            return orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            return None

    def _give_up(self, failure: OssitError, retries: int) -> NoReturn:
        logger.info("giving up after %d retries: %s", retries, failure)
        raise failure
