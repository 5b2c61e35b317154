"""``OssitClient``: the public entry point, the base client plus one attribute per resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base_client import BaseClient
from .resources import RESOURCES, BatchWrites, Intervals, StatisticGroups, Statistics
from .settings import ClientOptions, client_options, connection_setting_errors


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

    # One attribute per kind of ``ossit_schemas.KINDS`` (``resources.RESOURCES``), these typed.
    statistic_groups: StatisticGroups
    statistics: Statistics
    points: BatchWrites
    intervals: Intervals

    def __init__(self, domain_key: str, **options: Any) -> None:
        """``options`` are ``ClientOptions``' fields (``settings``), each with its default."""
        super().__init__(domain_key, ClientOptions(**options))
        for name, resource in RESOURCES.items():
            setattr(self, name, resource(self))

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
