"""The tap's streams, declared once: what each reads; `client.OssitStream` does the reading."""

from __future__ import annotations

from tap_ossit.client import OssitStream


class StatisticGroupsStream(OssitStream):
    """Statistic groups (GET /v1/api/statistic-groups)."""

    name = "statistic_groups"


class StatisticsStream(OssitStream):
    """Statistics with their latest value (GET /v1/api/statistics)."""

    name = "statistics"


class PointsStream(OssitStream):
    """Series points of the whole domain (GET /v1/api/points), never one list per statistic."""

    name = "points"


class IntervalsStream(OssitStream):
    """Intervals: runs, batches, states and custom spans (GET /v1/api/intervals)."""

    name = "intervals"


STREAMS: list[type[OssitStream]] = [
    StatisticGroupsStream,
    StatisticsStream,
    PointsStream,
    IntervalsStream,
]
