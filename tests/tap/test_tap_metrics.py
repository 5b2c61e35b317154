"""What each stream cost the client appears as Singer METRIC lines at the end of the stream."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import Any

import pytest
from ossit_sandbox.launcher import SandboxServer
from tap_runs import STREAM_NAMES

ENDPOINTS = {
    "statistic_groups": "GET /v1/api/statistic-groups",
    "statistics": "GET /v1/api/statistics",
    "points": "GET /v1/api/points",
    "intervals": "GET /v1/api/intervals",
}
CLIENT_METRICS = {
    "http_request_count",
    "http_retry_count",
    "http_rate_limited_count",
    "throttle_duration",
    "retry_wait_duration",
}


def _metric_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The client's METRIC lines the SDK's metrics logger wrote, parsed, in order."""
    points = [
        json.loads(record.getMessage().removeprefix("METRIC: "))
        for record in caplog.records
        if record.name == "singer_sdk.metrics"
    ]
    return [point for point in points if point["metric"] in CLIENT_METRICS]


def _per_stream(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{stream: {metric: value}}; retries as {reason: count} (None: the line without one)."""
    result: dict[str, dict[str, Any]] = defaultdict(dict)
    for line in lines:
        stream, metric = line["tags"]["stream"], line["metric"]
        if metric == "http_retry_count":
            result[stream].setdefault(metric, {})[line["tags"].get("reason")] = line["value"]
        else:
            assert metric not in result[stream], f"{metric} twice for {stream}"
            result[stream][metric] = line["value"]
    return dict(result)


@pytest.fixture
def metrics_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="singer_sdk.metrics")
    return caplog


def test_each_stream_logs_the_requests_it_sent(
    sandbox: SandboxServer, domain_key: str, tap_config, tap, metrics_log
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=2, days=30, intervals=8, seed=61)
    sandbox.reset_stats(domain_key)

    run = tap({**tap_config, "page_size": 20})

    seen = sandbox.stats(domain_key)["by_endpoint"]
    lines = _metric_lines(metrics_log)
    per_stream = _per_stream(lines)
    assert list(per_stream) == list(STREAM_NAMES)  # one set per stream, at its end
    for stream in STREAM_NAMES:
        assert per_stream[stream] == {
            "http_request_count": seen[ENDPOINTS[stream]],
            "http_retry_count": {None: 0},
            "http_rate_limited_count": 0,
            "throttle_duration": per_stream[stream]["throttle_duration"],
            "retry_wait_duration": 0,
        }, stream
        assert per_stream[stream]["throttle_duration"] >= 0
    assert per_stream["points"]["http_request_count"] > 1  # several pages
    assert len(run.records["points"]) > 20
    point = next(line for line in lines if line["metric"] == "http_request_count")
    assert point["type"] == "counter"
    assert set(point["tags"]) == {"stream", "pid"}
    assert next(line for line in lines if line["metric"] == "throttle_duration")["type"] == "timer"


def test_429s_and_their_retries_are_counted_on_their_stream(
    sandbox: SandboxServer, domain_key: str, tap_config, tap, metrics_log
) -> None:
    sandbox.generate(domain_key, groups=1, statistics=2, days=10, intervals=4, seed=62)
    sandbox.reset_stats(domain_key)
    sandbox.add_fault(domain_key, status=429, method="GET", path="/v1/api/points", count=2,
                      retry_after="0")  # fmt: skip
    sandbox.add_fault(domain_key, status=503, method="GET", path="/v1/api/intervals", count=1,
                      retry_after="0")  # fmt: skip

    run = tap(tap_config)

    per_stream = _per_stream(_metric_lines(metrics_log))
    seen = sandbox.stats(domain_key)["by_endpoint"]
    points, intervals = per_stream["points"], per_stream["intervals"]
    assert run.records["points"]
    assert points["http_request_count"] == seen[ENDPOINTS["points"]] == 3  # one page, 2 retries
    assert points["http_retry_count"] == {"429": 2}
    assert points["http_rate_limited_count"] == 2
    assert intervals["http_request_count"] == seen[ENDPOINTS["intervals"]] == 2
    assert intervals["http_retry_count"] == {"503": 1}
    assert intervals["http_rate_limited_count"] == 0
    for stream in ("statistic_groups", "statistics"):
        assert per_stream[stream]["http_request_count"] == 1
        assert per_stream[stream]["http_retry_count"] == {None: 0}


def test_a_failed_stream_still_logs_what_it_cost(
    sandbox: SandboxServer, domain_key: str, tap_config, tap, metrics_log
) -> None:
    sandbox.generate(domain_key, groups=1, statistics=1, days=3, intervals=2, seed=63)
    sandbox.add_fault(domain_key, status=503, method="GET", path="/v1/api/statistics", count=-1,
                      retry_after="0")  # fmt: skip

    with pytest.raises(Exception, match="503"):
        tap({**tap_config, "max_retries": 2})

    per_stream = _per_stream(_metric_lines(metrics_log))
    assert list(per_stream) == ["statistic_groups", "statistics"]
    assert per_stream["statistics"]["http_request_count"] == 3
    assert per_stream["statistics"]["http_retry_count"] == {"503": 2}


def test_the_cli_logs_them_as_metric_lines(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli
) -> None:
    sandbox.generate(domain_key, groups=1, statistics=1, days=3, intervals=2, seed=64)
    sandbox.reset_stats(domain_key)

    run = tap_cli.run(tap_config)

    lines = [
        json.loads(line.split("METRIC: ", 1)[1])
        for line in run.stderr.splitlines()
        if "METRIC: " in line
    ]
    requests = {
        line["tags"]["stream"]: line["value"]
        for line in lines
        if line["metric"] == "http_request_count"
    }
    assert requests == dict.fromkeys(STREAM_NAMES, 1)
    assert sum(requests.values()) == sandbox.stats(domain_key)["requests"]
