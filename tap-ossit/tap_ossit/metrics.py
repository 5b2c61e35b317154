"""What a stream's sync cost in requests, as Singer METRIC lines at the end of the stream.

All streams share one `OssitClient`, whose `Counters` total the whole run; a stream's
share is the difference of the counters across its sync. The lines go through the SDK's
metrics logger (`singer_sdk.metrics`), so they look like its own `record_count` lines,
obey its `metrics_log_level` and logging settings, and its metric filters apply (one line):

    METRIC: {"type":"counter","metric":"http_request_count","value":3,
             "tags":{"stream":"points","pid":7}}

`http_request_count` (attempts sent, retries included), `http_retry_count` (one line per
reason: "429", "503", "timeout", "connection"; one line of 0 without a reason when none),
`http_rate_limited_count` (429 answers), `throttle_duration` (seconds waited for the shared
request budget, 429 pauses included) and `retry_wait_duration` (seconds slept between
attempts for other reasons).
"""

from __future__ import annotations

import contextlib
import enum
import os
import typing as t

from singer_sdk import metrics

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from ossit_client import Counters


class ClientMetric(enum.StrEnum):
    """The client's metrics; the request count keeps the SDK's own name."""

    HTTP_REQUEST_COUNT = metrics.Metric.HTTP_REQUEST_COUNT.value
    HTTP_RETRY_COUNT = "http_retry_count"
    HTTP_RATE_LIMITED_COUNT = "http_rate_limited_count"
    THROTTLE_DURATION = "throttle_duration"
    RETRY_WAIT_DURATION = "retry_wait_duration"


def _point(kind: str, metric: ClientMetric, value: float, tags: dict[str, t.Any]) -> metrics.Point:
    # `Point` is typed for the SDK's `Metric` enum; it only reads `.value`, as ours has.
    return metrics.Point(kind, t.cast("metrics.Metric", metric), value, tags)


def client_points(counts: Counters, tags: dict[str, t.Any]) -> list[metrics.Point]:
    """The METRIC points of `counts` (a stream's share of the client's counters)."""
    retries: list[tuple[str | None, int]] = [*sorted(counts.retries_by_reason.items())]
    return [
        _point("counter", ClientMetric.HTTP_REQUEST_COUNT, counts.requests, tags),
        *(
            _point(
                "counter",
                ClientMetric.HTTP_RETRY_COUNT,
                count,
                tags if reason is None else {**tags, "reason": reason},
            )
            for reason, count in retries or [(None, 0)]
        ),
        _point("counter", ClientMetric.HTTP_RATE_LIMITED_COUNT, counts.rate_limited, tags),
        _point("timer", ClientMetric.THROTTLE_DURATION, round(counts.throttled_seconds, 3), tags),
        _point(
            "timer", ClientMetric.RETRY_WAIT_DURATION, round(counts.retry_wait_seconds, 3), tags
        ),
    ]


@contextlib.contextmanager
def client_metrics(counters: Counters, stream: str) -> Iterator[None]:
    """Log what `counters` counted during the block as METRIC lines tagged with `stream`.

    Also when the block fails: what a failed stream cost is worth seeing too.
    """
    before = counters.copy()
    try:
        yield
    finally:
        logger = metrics.get_metrics_logger()
        for point in client_points(counters - before, {"stream": stream, "pid": os.getpid()}):
            metrics.log(logger, point)
