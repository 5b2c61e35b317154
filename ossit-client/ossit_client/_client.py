"""``OssitClient``: the public entry point, the base client plus one attribute per resource."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ossit_schemas import RATE_LIMIT_DEFAULT, RATE_LIMIT_WINDOW_SECONDS

from ._base_client import BaseClient
from .resources import Intervals, Points, StatisticGroups, Statistics
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_ANSWER_BYTES,
    client_options,
    connection_setting_errors,
)


class OssitClient(BaseClient):
    """A throttled, retrying client for one domain key at one base URL.

    ``max_requests_per_hour`` requests per ``rate_window`` seconds (an hour on the hosted API;
    the sandbox can be started with a shorter window) are shared by every process on this
    machine that uses the same key and URL, through a file in ``state_dir`` (default
    ``$OSSIT_CLIENT_STATE_DIR`` or the user's cache directory) -- or, with ``budget_url``
    (default ``$OSSIT_BUDGET_URL``; ``redis://[user:password@]host:port/db`` or ``rediss://``),
    by every process on any machine that uses that Redis. Retries wait ``Retry-After`` or
    full-jitter backoff of ``backoff_base * 2**n`` capped at ``backoff_max`` seconds, at most
    ``max_retries`` times and ``max_retry_wait`` seconds in all per call. ``timeout`` bounds
    connecting and each socket read; ``answer_timeout`` (default ``4 * timeout``) bounds a
    whole attempt, so a server that drips its answer cannot hold a call; ``max_answer_bytes``
    bounds an answer's decoded size. No header makes any process wait longer than
    ``rate_window``. Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        domain_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        max_retries: int = 8,
        max_requests_per_hour: int = RATE_LIMIT_DEFAULT,
        user_agent: str | None = None,
        allow_insecure_http: bool = False,
        *,
        rate_window: float = RATE_LIMIT_WINDOW_SECONDS,
        state_dir: str | Path | None = None,
        budget_url: str | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        max_retry_wait: float = 600.0,
        pool_maxsize: int = 10,
        answer_timeout: float | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    ) -> None:
        super().__init__(
            domain_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_requests_per_hour=max_requests_per_hour,
            rate_window=rate_window,
            user_agent=user_agent,
            allow_insecure_http=allow_insecure_http,
            state_dir=state_dir,
            budget_url=budget_url,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            max_retry_wait=max_retry_wait,
            pool_maxsize=pool_maxsize,
            answer_timeout=answer_timeout,
            max_answer_bytes=max_answer_bytes,
        )
        self.statistic_groups = StatisticGroups(self)
        self.statistics = Statistics(self)
        self.points = Points(self)
        self.intervals = Intervals(self)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OssitClient:
        """A client from a connector's settings (``settings.CONNECTION_SETTINGS``).

        ``domain_key`` is required, and checked like the constructor's (``check_domain_key``:
        a key file's line end is stripped; an unusable key is refused without being echoed);
        every other setting falls back on the client's default when absent or null.
        """
        if config.get("domain_key") is None:
            raise ValueError("domain_key is required")
        if errors := connection_setting_errors(config):
            raise ValueError("; ".join(errors))
        return cls(config["domain_key"], **client_options(config))

    def __enter__(self) -> OssitClient:
        return self
