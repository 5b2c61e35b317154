"""A default singer-sdk REST tap over the Ossit API: the ecosystem's usual way, for comparison.

This is what `cookiecutter` + the SDK docs lead to: one `RESTStream` per list
endpoint with JSONPath records and cursor, a Bearer authenticator, and every
other SDK default left as it is (writer, validation, retries, metrics). It reads
the same pages as tap-ossit (limit 1000, tombstones included); tap-ossit's
speed is reported against it to show what its design gains.

    python -m bench.sdk_rest_tap --config config.json > out.singer
"""

from __future__ import annotations

from typing import Any, ClassVar

from ossit_schemas import record_schema
from singer_sdk import RESTStream, Tap
from singer_sdk import typing as th
from singer_sdk.authenticators import BearerTokenAuthenticator

from bench.baseline_tap import PATHS


class OssitStream(RESTStream):
    """One list endpoint of the Ossit API."""

    records_jsonpath = "$.data[*]"
    next_page_token_jsonpath = "$.next_cursor"
    primary_keys: ClassVar[list[str]] = ["id"]
    replication_key = "updated_at"

    @property
    def url_base(self) -> str:
        return self.config["base_url"].rstrip("/")

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        return BearerTokenAuthenticator(token=self.config["domain_key"])

    def get_url_params(self, context: dict | None, next_page_token: Any | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": 1000, "include_deleted": "true"}
        if next_page_token:
            params["cursor"] = next_page_token
        if start := self.get_starting_replication_key_value(context):
            params["updated_since"] = start
        return params


class StatisticGroupsStream(OssitStream):
    name = "statistic_groups"
    path = PATHS[name]
    schema = record_schema(name)


class StatisticsStream(OssitStream):
    name = "statistics"
    path = PATHS[name]
    schema = record_schema(name)


class PointsStream(OssitStream):
    name = "points"
    path = PATHS[name]
    schema = record_schema(name)


class IntervalsStream(OssitStream):
    name = "intervals"
    path = PATHS[name]
    schema = record_schema(name)


STREAMS = [StatisticGroupsStream, StatisticsStream, PointsStream, IntervalsStream]


class TapOssitSdkRest(Tap):
    """Default singer-sdk REST tap for Ossit (benchmark reference only)."""

    name = "tap-ossit-sdk-rest"
    config_jsonschema = th.PropertiesList(
        th.Property("domain_key", th.StringType, required=True, secret=True),
        th.Property("base_url", th.StringType, required=True),
    ).to_dict()

    def discover_streams(self) -> list[OssitStream]:
        return [stream_class(tap=self) for stream_class in STREAMS]


if __name__ == "__main__":
    TapOssitSdkRest.cli()
