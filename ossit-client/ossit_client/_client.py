"""``OssitClient``: the public entry point, the base client plus one attribute per resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base_client import BaseClient
from .resources import RESOURCES, BatchWrites, Intervals, StatisticGroups, Statistics
from .settings import ClientOptions, client_options, connection_setting_errors


class OssitClient(BaseClient):
    """A throttled, retrying client for one domain key at one base URL.

    Its ``max_requests_per_hour`` per ``rate_window`` are shared by every process using the
    same key and server: on this machine through a file in ``state_dir``, on any machine
    through the Redis at ``budget_url``. A call is retried (``Retry-After`` or full-jitter
    backoff) at most ``max_retries`` times and ``max_retry_wait`` seconds in all; an attempt is
    bounded in time as a whole (``answer_timeout``) and in decoded size (``max_answer_bytes``);
    no header makes any process wait longer than ``rate_window``. The options and their
    defaults: ``ClientOptions``. Use it as a context manager, or call ``close()``.
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
        """A client from a connector's settings (``settings.CONNECTION_SETTINGS``): ``domain_key``
        is required and checked as by the constructor (``check_domain_key``: never echoed);
        every other setting takes the client's default when absent or null."""
        if config.get("domain_key") is None:
            raise ValueError("domain_key is required")
        if errors := connection_setting_errors(config):
            raise ValueError("; ".join(errors))
        return cls(config["domain_key"], **client_options(config))
