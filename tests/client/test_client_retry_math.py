"""Table tests of the pure retry helpers: backoff math, Retry-After parsing, retryable statuses."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from ossit_client import ClientOptions
from ossit_client._retry import (
    backoff_ceiling,
    backoff_delay,
    is_retryable_status,
    parse_retry_after,
    plan_wait,
)

NOW = 1_800_000_000.0  # a fixed "now" (epoch seconds, a whole second)


@pytest.mark.parametrize(
    ("retry_number", "base", "maximum", "expected"),
    [
        (0, 0.5, 60.0, 0.5),
        (1, 0.5, 60.0, 1.0),
        (2, 0.5, 60.0, 2.0),
        (6, 0.5, 60.0, 32.0),
        (7, 0.5, 60.0, 60.0),  # 64 capped
        (30, 0.5, 60.0, 60.0),
        (0, 2.0, 1.0, 1.0),  # base above the cap
        (3, 0.01, 0.05, 0.05),
    ],
)
def test_backoff_ceiling_doubles_then_caps(
    retry_number: int, base: float, maximum: float, expected: float
) -> None:
    assert backoff_ceiling(retry_number, base, maximum) == pytest.approx(expected)


@pytest.mark.parametrize(("fraction", "retry_number"), [(0.0, 0), (0.25, 3), (1.0, 5)])
def test_backoff_delay_jitters_the_ceiling(fraction: float, retry_number: int) -> None:
    ceiling = backoff_ceiling(retry_number, 0.5, 60.0)
    assert backoff_delay(retry_number, 0.5, 60.0, lambda v: v * fraction) == pytest.approx(
        ceiling * fraction
    )


def test_default_jitter_is_full_jitter_within_zero_and_ceiling() -> None:
    delays = [backoff_delay(4, 0.5, 60.0) for _ in range(500)]
    assert all(0.0 <= d <= 8.0 for d in delays)
    # full jitter spreads over the whole range, not only near the ceiling
    assert min(delays) < 2.0 < 6.0 < max(delays)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("0", 0.0),
        ("3", 3.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        (formatdate(NOW + 1, usegmt=True), 1.0),
        (formatdate(NOW - 30, usegmt=True), 0.0),  # a date in the past: retry now
        ("Wed, 21 Oct 2015 07:28:00", None),  # no zone: not an HTTP-date
    ],
)
def test_parse_retry_after_seconds_and_http_date(value: str | None, expected: float | None) -> None:
    result = parse_retry_after(value, NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (402, False),
        (403, False),
        (404, False),
        (408, True),
        (409, False),
        (410, False),
        (422, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_only_408_429_and_5xx_are_retried(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


@pytest.mark.parametrize(
    ("retry_number", "retry_after", "expected"),
    [(0, None, 0.5), (2, None, 2.0), (0, 7.0, 7.0), (5, 0.0, 0.0)],
)
def test_plan_wait_prefers_the_servers_retry_after(
    retry_number: int, retry_after: float | None, expected: float
) -> None:
    policy = ClientOptions(backoff_base=0.5, backoff_max=60.0)
    assert plan_wait(retry_number, retry_after, policy, jitter=lambda v: v) == expected


@pytest.mark.parametrize(
    "kwargs",
    [{"max_retries": -1}, {"backoff_base": 0}, {"backoff_max": -1}, {"max_retry_wait": -0.1}],
)
def test_retry_options_reject_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ClientOptions(**kwargs)  # type: ignore[arg-type]
