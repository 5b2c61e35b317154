"""No header makes any process wait longer than one rate window, and long waits say so.

Against a misbehaving server: ``Retry-After`` of days (in seconds or as an HTTP-date),
``X-RateLimit-Reset`` of days with nothing remaining, and values that are no number at all.
The shared budget file must never hold a pause or a log entry beyond one window, a wait the
call itself refuses is not written there for others, and a long wait is logged with its end.
"""

from __future__ import annotations

import calendar
import logging
import re
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import ledgers
import ossit_client as oc
import pytest
from ossit_client._budget import Ledger
from recorded_waits import Waits

pytestmark = pytest.mark.timeout(60)

GROUPS_LIST = {"data": [], "next_cursor": None}
#: What a budget wait may add to the window: the throttle's margin (20 ms at least) and the
#: 5 ms it adds to each wait for a spent budget, with room to spare.
BUDGET_SLACK = 0.1
ISO_UTC = re.compile(r"until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")


def answers(*scripted: tuple[int, dict[str, str]]) -> Callable[[Any], None]:
    """A handler answering with ``scripted`` (status, headers) in turn, then 200s."""

    def handler(exchange: Any) -> None:
        index = exchange.number - 1
        status, headers = scripted[index] if index < len(scripted) else (200, {})
        body = GROUPS_LIST if status == 200 else {"error": {"code": "x", "message": "no"}}
        exchange.answer(status, body, headers)

    return handler


def pause_left_ms(client: oc.OssitClient) -> int:
    """How far the shared pause reaches past now (0: none)."""
    return max(0, ledgers.pause_until_ms(client) - ledgers.now_ms(client))


FAR_FUTURE = [
    "999999",
    "1e300",
    formatdate(4_070_908_800, usegmt=True),  # 2099-01-01
    "Fri, 31 Dec 9999 23:59:59 GMT",
]


@pytest.mark.parametrize("retry_after", FAR_FUTURE)
@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_beyond_the_wait_budget_is_refused_and_not_shared(
    hostile: Callable, fast_client: Callable, waits: Waits, status: int, retry_after: str
) -> None:
    server = hostile(answers(*[(status, {"Retry-After": retry_after})] * 10))
    client = fast_client(server, max_retry_wait=5.0, rate_window=60.0)
    with pytest.raises(oc.RateLimitError if status == 429 else oc.InternalServerError):
        list(client.statistic_groups.list())
    assert waits == Waits()  # given up at once: no wait at all, not even a short one
    assert server.count == 1
    # nothing written for the other processes: a neighbour goes on at once
    assert pause_left_ms(client) == 0
    neighbour = fast_client(server)
    assert pause_left_ms(neighbour) == 0


@pytest.mark.parametrize("retry_after", FAR_FUTURE)
def test_a_retry_after_beyond_the_window_waits_one_window(
    hostile: Callable, fast_client: Callable, waits: Waits, retry_after: str
) -> None:
    server = hostile(answers((429, {"Retry-After": retry_after})))
    client = fast_client(server, rate_window=1.0, max_retry_wait=30.0)
    assert list(client.statistic_groups.list()) == []
    # the 429's wait is made in the shared budget: one window, not 999999 s
    assert waits.retry == []
    assert 0 < sum(waits.budget) <= 1.0 + BUDGET_SLACK
    assert client.counters.retries_by_reason == {"429": 1}
    assert server.count == 2


@pytest.mark.parametrize("reset", ["999999", "1e12", "4070908800"])
def test_nothing_remaining_with_a_huge_reset_pauses_one_window_at_most(
    hostile: Callable, fast_client: Callable, waits: Waits, reset: str
) -> None:
    headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    server = hostile(answers((200, headers)))
    client = fast_client(server, rate_window=1.0)
    list(client.statistic_groups.list())
    assert 0 < pause_left_ms(client) <= 1000
    # the placeholders for the requests the server counted age out within a window too
    assert ledgers.count_since(client, ledgers.now_ms(client) + 1) == 0
    assert waits == Waits()
    list(client.statistic_groups.list())
    assert waits.retry == []
    assert 0 < sum(waits.budget) <= 1.0 + BUDGET_SLACK  # the pause, once, and no longer


@pytest.mark.parametrize(
    "value", ["inf", "-inf", "Infinity", "nan", "-5", "abc", "1e400", "", " ", "0x10", "5;6"]
)
def test_unusable_rate_limit_headers_are_ignored(
    hostile: Callable, fast_client: Callable, value: str
) -> None:
    scripted = [
        (200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": value}),
        (200, {"X-RateLimit-Remaining": value, "X-RateLimit-Reset": "5"}),
        (200, {"X-RateLimit-Limit": value, "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "5"}),
    ]
    server = hostile(answers(*scripted))
    client = fast_client(server)
    for _ in scripted:
        assert list(client.statistic_groups.list()) == []
    assert pause_left_ms(client) == 0


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "soon", "1e400", "Sun, 99 Foo 2099"])
def test_an_unusable_retry_after_falls_back_on_backoff(
    hostile: Callable, fast_client: Callable, value: str
) -> None:
    server = hostile(answers((503, {"Retry-After": value}), (429, {"Retry-After": value})))
    client = fast_client(server, backoff_base=0.01, backoff_max=0.05)
    assert list(client.statistic_groups.list()) == []
    assert client.counters.retries_by_reason == {"503": 1, "429": 1}
    assert client.counters.retry_wait_seconds <= 0.05


def test_a_pause_left_by_an_older_client_is_cut_to_one_window(
    hostile: Callable, fast_client: Callable, waits: Waits
) -> None:
    server = hostile(answers())
    client = fast_client(server, rate_window=1.0)
    ten_days = 10 * 24 * 3600 * 1000

    def older_client(ledger: Ledger, now: int) -> None:
        ledger.pause_until = now + ten_days
        ledger.log.update({f"old-{n}": now + ten_days for n in range(200)})

    ledgers.change(client, older_client)
    assert list(client.statistic_groups.list()) == []
    # the pause cut to one window, the placeholders restamped to now: each wait a window
    # at most (with the throttle's margin), where the file asked for ten days
    assert waits.retry == []
    assert waits.budget, "the pause was not waited for at all"
    assert max(waits.budget) <= 1.0 + BUDGET_SLACK
    assert sum(waits.budget) <= 2 * (1.0 + BUDGET_SLACK)
    assert pause_left_ms(client) == 0
    assert server.count == 1


def test_a_long_retry_wait_is_logged_with_its_end(
    hostile: Callable,
    fast_client: Callable,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if seconds > 1:
            slept.append(seconds)  # the long wait is not made, only recorded
        else:
            real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    caplog.set_level(logging.INFO, logger="ossit_client")
    server = hostile(answers((503, {"Retry-After": "45"})))
    client = fast_client(server, max_retry_wait=100.0)
    before = time.time()
    assert list(client.statistic_groups.list()) == []
    after = time.time()
    assert slept == [45.0]
    [line] = [r.getMessage() for r in caplog.records if "retry 1/" in r.getMessage()]
    assert "in 45.00 s, until " in line
    # 45 s after the answer came, which was during the call (the text drops the fraction)
    assert int(before) + 45 <= _epoch(ISO_UTC.search(line)) <= after + 45


def test_a_long_shared_pause_is_logged_with_its_end(
    hostile: Callable,
    fast_client: Callable,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Stop(Exception):
        pass

    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if seconds > 1:
            raise Stop  # the long wait began: that is all this test needs
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    caplog.set_level(logging.INFO, logger="ossit_client")
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "40"}
    server = hostile(answers((200, headers)))
    client = fast_client(server, rate_window=3600.0, max_retry_wait=100.0)
    before = time.time()
    list(client.statistic_groups.list())
    after = time.time()
    with pytest.raises(Stop):
        list(client.statistic_groups.list())  # waits for the pause the first answer set
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert "paused" in line
    # 40 s after the first answer, which came during the first call (the text drops the
    # fraction; a second of room above, as the end is "now + what is left" read again later)
    assert int(before) + 40 <= _epoch(ISO_UTC.search(line)) <= after + 41


def _epoch_text(text: str) -> float:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def _epoch(match: re.Match[str] | None) -> float:
    assert match is not None, "no 'until <UTC time>' in the line"
    return _epoch_text(match.group(1))


def test_a_pause_beyond_the_wait_budget_is_not_shared_and_fails_the_next_call(
    hostile: Callable, fast_client: Callable, waits: Waits
) -> None:
    # the answer succeeds, but says nothing remains for 40 s: more than this call may wait
    headers = {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "40"}
    server = hostile(answers((200, headers)))
    client = fast_client(server, rate_window=3600.0, max_retry_wait=5.0)
    assert list(client.statistic_groups.list()) == []
    # not left in the shared file for the next run: no pause, no placeholders
    assert pause_left_ms(client) == 0
    assert pause_left_ms(fast_client(server)) == 0
    assert ledgers.count_since(client, ledgers.now_ms(client) + 1) == 0
    with pytest.raises(oc.RateLimitError) as caught:
        list(client.statistic_groups.list())
    assert waits == Waits()  # failed at once: no wait at all
    assert server.count == 1  # not sent
    text = str(caught.value)
    assert text.startswith("GET /v1/api/statistic-groups -> 429 rate_limited: not sent: ")
    assert "longer than max_retry_wait (5 s)" in text


def test_a_shared_pause_beyond_the_wait_budget_fails_the_call_at_once(
    hostile: Callable, fast_client: Callable, waits: Waits
) -> None:
    server = hostile(answers())
    patient = fast_client(server, rate_window=3600.0, max_retry_wait=100.0)
    ledgers.change(patient, lambda ledger, now: setattr(ledger, "pause_until", now + 40_000))
    hurried = fast_client(server, rate_window=3600.0, max_retry_wait=5.0)
    with pytest.raises(oc.RateLimitError, match="max_retry_wait"):
        list(hurried.statistic_groups.list())
    assert waits == Waits()  # failed at once: no wait at all
    assert server.count == 0
