"""The client against a real sandbox: resources, pagination, every retry rule, every error class.

Retry timing is made fast by configuration (``make_client``: backoff 10-50 ms); what is asserted
is what the server saw (``/_sandbox/stats``) and what the client counted, never wall time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ledgers
import ossit_client as oc
import pytest
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer

MakeClient = Callable[..., OssitClient]
GROUPS = "/v1/api/statistic-groups"
DAY = "2026-01-05"


def requests_seen(sandbox: SandboxServer, key: str) -> int:
    return sandbox.stats(key)["requests"]


def test_resources_round_trip(client: OssitClient) -> None:
    group = client.statistic_groups.create("line 1", description="the first line")
    assert group["name"] == "line 1"
    assert client.statistic_groups.get("line 1")["id"] == group["id"]
    renamed = client.statistic_groups.update(group["id"], name="line one")
    assert client.statistic_groups.get("line one")["id"] == renamed["id"] == group["id"]

    client.statistics.create("line one", "units", value=3, reference_date=DAY, unit="pcs")
    client.statistics.set_value("line one", "units", 4, reference_date=DAY, method="add")
    assert client.statistics.get("line one", "units")["value"] == 7
    client.statistics.update_metadata("line one", "units", new_name="parts")
    assert [s["name"] for s in client.statistics.list(group="line one")] == ["parts"]

    interval = client.intervals.create(
        group="line one", type="run", name="run 1", start="2026-01-05T08:00:00.000000Z"
    )
    closed = client.intervals.update(interval["id"], end="2026-01-05T09:30:00.000000Z")
    assert closed["duration"] == "PT1H30M0S"
    assert client.intervals.get(interval["id"])["end"] == "2026-01-05T09:30:00.000000Z"
    client.intervals.delete(interval["id"])
    assert list(client.intervals.list()) == []
    assert [i["id"] for i in client.intervals.list(include_deleted=True)] == [interval["id"]]

    client.statistics.delete_point("line one", "parts", DAY)
    purged = client.statistics.purge("line one", "parts")
    assert purged["deleted_at"] is not None
    client.statistic_groups.delete("line one")
    assert list(client.statistic_groups.list()) == []


def test_pages_follow_next_cursor_one_request_each(
    client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    items = [
        {"group": "g", "statistic": "s", "reference_date": f"2026-02-{day:02d}", "value": day}
        for day in range(1, 26)
    ]
    written = client.points.batch(items, create_missing=True)
    assert len(written) == 25
    sandbox.reset_stats(domain_key)

    pages = list(client.points.list(limit=10).pages())
    assert [len(page) for page in pages] == [10, 10, 5]
    assert sandbox.stats(domain_key)["by_endpoint"]["GET /v1/api/points"] == 3
    records = list(client.points.list(group="g", statistic="s", limit=7))
    assert sorted(r["value"] for r in records) == list(range(1, 26))
    assert all(type(r) is dict for r in records)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(
    status: int, client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    sandbox.add_fault(domain_key, status=status, method="GET", path=GROUPS, count=2)
    assert list(client.statistic_groups.list()) == []
    assert requests_seen(sandbox, domain_key) == 3
    assert client.counters.retries_by_reason == {str(status): 2}
    assert client.counters.requests == 3
    assert client.counters.rate_limited == (2 if status == 429 else 0)


def test_lost_connection_is_retried(
    client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    sandbox.add_fault(domain_key, status=200, method="GET", path=GROUPS, count=1, drop=True)
    assert list(client.statistic_groups.list()) == []
    assert client.counters.retries_by_reason == {"connection": 1}


def test_timeouts_are_retried_then_raise(
    sandbox_factory: Callable[..., SandboxServer], make_client: MakeClient
) -> None:
    slow = sandbox_factory(latency_ms=1500)
    key = slow.create_domain("slow")
    client = make_client(slow.base_url, key, timeout=0.3, max_retries=2)
    with pytest.raises(oc.APITimeoutError) as caught:
        client.statistic_groups.get("nothing")
    assert isinstance(caught.value, oc.APIConnectionError)
    assert str(caught.value).startswith("GET /v1/api/statistic-groups/nothing: no answer within")
    assert client.counters.retries_by_reason == {"timeout": 2}
    assert client.counters.requests == 3


def test_unreachable_server_raises_connection_error(make_client: MakeClient) -> None:
    client = make_client("http://127.0.0.1:9", "dk_unreachable", max_retries=1)
    with pytest.raises(oc.APIConnectionError) as caught:
        client.statistic_groups.get("g")
    assert not isinstance(caught.value, oc.APITimeoutError)
    # refused by a loopback host: not retried (see test_client_refused.py)
    assert "is the sandbox running?" in str(caught.value)
    assert client.counters.retries_by_reason == {}


def test_retries_stop_after_max_retries(
    client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    sandbox.add_fault(domain_key, status=503, method="GET", path=GROUPS, count=-1)
    with pytest.raises(oc.InternalServerError) as caught:
        list(client.statistic_groups.list())
    assert caught.value.status_code == 503
    assert requests_seen(sandbox, domain_key) == 1 + 4
    assert client.counters.retries_by_reason == {"503": 4}


def test_retry_after_beyond_the_wait_budget_fails_at_once(
    sandbox: SandboxServer, domain_key: str, make_client: MakeClient
) -> None:
    client = make_client(sandbox.base_url, domain_key, max_retry_wait=5.0)
    sandbox.add_fault(domain_key, status=503, method="GET", path=GROUPS, retry_after="120")
    with pytest.raises(oc.InternalServerError):
        list(client.statistic_groups.list())
    assert requests_seen(sandbox, domain_key) == 1
    assert client.counters.retry_wait_seconds == 0


def test_retry_after_in_seconds_is_honoured(
    client: OssitClient,
    sandbox: SandboxServer,
    domain_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="ossit_client")
    sandbox.add_fault(domain_key, status=503, method="GET", path=GROUPS, retry_after="1")
    assert list(client.statistic_groups.list()) == []
    # backoff alone would wait at most 0.05 s; the server asked for 1 s
    assert client.counters.retry_wait_seconds == pytest.approx(1.0)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("ossit")]
    assert lines == [
        ("DEBUG", "GET /v1/api/statistic-groups -> 503"),
        ("INFO", "GET /v1/api/statistic-groups failed (503); retry 1/4 in 1.00 s"),
        ("DEBUG", "GET /v1/api/statistic-groups -> 200"),
    ]


def test_retry_after_as_http_date_is_honoured(
    client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    sandbox.add_fault(domain_key, status=503, method="GET", path=GROUPS, retry_after="http-date:2")
    assert list(client.statistic_groups.list()) == []
    # an HTTP-date has whole seconds: "now + 2 s" is at most 2 s away when it arrives, and
    # (unless the answer took a second to be read) more than backoff alone would wait (0.05 s)
    assert 0.05 < client.counters.retry_wait_seconds <= 2.0


def test_429_pauses_the_shared_budget_until_retry_after(
    client: OssitClient, sandbox: SandboxServer, domain_key: str, make_client: MakeClient
) -> None:
    sandbox.add_fault(domain_key, status=429, method="GET", path=GROUPS, retry_after="1")
    neighbour = make_client(sandbox.base_url, domain_key)  # another handle on the same file
    started_ms = ledgers.now_ms(neighbour)
    assert list(client.statistic_groups.list()) == []
    assert client.counters.rate_limited == 1
    assert client.counters.retries_by_reason == {"429": 1}
    assert ledgers.pause_until_ms(neighbour) >= started_ms + 1000
    assert client.counters.retry_wait_seconds == 0  # the wait happened in the budget instead
    assert client.counters.throttled_seconds > 0


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, oc.BadRequestError),
        (401, oc.AuthenticationError),
        (402, oc.PaymentRequiredError),
        (403, oc.PermissionDeniedError),
        (404, oc.NotFoundError),
        (409, oc.ConflictError),
        (422, oc.UnprocessableEntityError),
    ],
)
def test_other_4xx_fail_at_once_with_their_class(
    status: int,
    cls: type[oc.APIStatusError],
    client: OssitClient,
    sandbox: SandboxServer,
    domain_key: str,
) -> None:
    sandbox.add_fault(domain_key, status=status, method="POST", path=GROUPS)
    with pytest.raises(cls) as caught:
        client.statistic_groups.create("g")
    assert caught.value.status_code == status
    assert str(caught.value).startswith(f"POST /v1/api/statistic-groups -> {status}")
    assert requests_seen(sandbox, domain_key) == 1
    assert client.counters.retries == 0


def test_410_marks_the_endpoint_gone_for_every_client(
    client: OssitClient, sandbox: SandboxServer, domain_key: str, make_client: MakeClient
) -> None:
    sandbox.add_fault(domain_key, status=410, method="GET", path="/v1/api/statistics/")
    with pytest.raises(oc.GoneError):
        client.statistics.get("g", "s")
    assert requests_seen(sandbox, domain_key) == 1
    with pytest.raises(oc.GoneError, match="not called again"):
        client.statistics.get("other", "names")  # same method + path template
    later = make_client(sandbox.base_url, domain_key)  # e.g. another process, same budget file
    with pytest.raises(oc.GoneError):
        later.statistics.get("g", "s")
    assert requests_seen(sandbox, domain_key) == 1
    # other endpoints, and other methods on the same path, still work
    with pytest.raises(oc.NotFoundError):
        later.statistics.purge("g", "s")
    assert list(later.statistics.list()) == []
    assert requests_seen(sandbox, domain_key) == 3


def test_402_is_not_retried(client: OssitClient, sandbox: SandboxServer, domain_key: str) -> None:
    sandbox.add_fault(domain_key, status=402, method="POST", path="/v1/api/points/batch", count=-1)
    with pytest.raises(oc.PaymentRequiredError):
        client.points.batch([], create_missing=True)
    with pytest.raises(oc.PaymentRequiredError):
        client.points.batch([], create_missing=True)
    assert requests_seen(sandbox, domain_key) == 2
    assert client.counters.retries == 0


def test_real_server_errors_carry_code_message_and_items(
    client: OssitClient, sandbox: SandboxServer, make_client: MakeClient
) -> None:
    with pytest.raises(oc.NotFoundError) as missing:
        client.statistic_groups.get("nope")
    assert missing.value.code
    assert missing.value.message
    client.statistic_groups.create("g")
    with pytest.raises(oc.ConflictError):
        client.statistic_groups.create("g")
    bad = [
        {"group": "g", "statistic": "s", "reference_date": DAY, "value": 1},
        {"group": "g", "statistic": "s", "reference_date": "not a date", "value": 1},
    ]
    with pytest.raises(oc.UnprocessableEntityError) as invalid:
        client.points.batch(bad, create_missing=True)
    assert invalid.value.code == "invalid_items"
    assert [item["index"] for item in invalid.value.items] == [1]
    assert "items: [1]" in str(invalid.value)
    stranger = make_client(sandbox.base_url, "dk_not_a_real_key")
    with pytest.raises(oc.AuthenticationError):
        stranger.statistic_groups.get("g")


def _counter(client: OssitClient) -> None:
    client.statistic_groups.create("g")
    client.statistics.create("g", "count", value=0, reference_date=DAY)


def _add_one(client: OssitClient) -> dict[str, Any]:
    return client.statistics.set_value("g", "count", 1, reference_date=DAY, method="add")


def test_a_write_whose_answer_was_lost_is_applied_once(
    client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    _counter(client)
    sandbox.reset_stats(domain_key)
    sandbox.add_fault(domain_key, status=200, method="POST", path="/v1/api/statistics/g", drop=True)
    assert _add_one(client)["value"] == 1
    assert client.counters.retries_by_reason == {"connection": 1}
    assert requests_seen(sandbox, domain_key) == 2  # applied, answer lost, replayed
    assert client.statistics.get("g", "count")["value"] == 1

    sandbox.add_fault(domain_key, status=200, method="POST", path="/v1/api/points/batch", drop=True)
    item = {"group": "g", "statistic": "count", "reference_date": DAY, "value": 5, "method": "add"}
    assert client.points.batch([item])[0]["value"] == 6
    assert client.statistics.get("g", "count")["value"] == 6

    # a DELETE carries the key too: its replay answers the tombstone, not a 404
    sandbox.add_fault(domain_key, status=200, method="DELETE", drop=True)
    assert client.statistics.delete_point("g", "count", DAY)["deleted_at"] is not None
    assert client.counters.retries_by_reason == {"connection": 3}


def test_random_drops_never_apply_an_add_twice(
    sandbox_factory: Callable[..., SandboxServer], make_client: MakeClient
) -> None:
    lossy = sandbox_factory(drop_rate=0.4, fault_seed=11)
    key = lossy.create_domain("lossy")
    client = make_client(lossy.base_url, key, max_retries=10)
    _counter(client)
    for _ in range(20):
        _add_one(client)
    assert client.statistics.get("g", "count")["value"] == 20
    assert client.counters.retries_by_reason["connection"] >= 3


def test_budget_tightens_to_what_the_server_counted(
    sandbox_factory: Callable[..., SandboxServer], make_client: MakeClient, tmp_path: Path
) -> None:
    server = sandbox_factory(rate_limit=10, rate_window=2.0)
    key = server.create_domain("busy key")
    # another machine (its own budget file) spends 8 of the 10 requests of the window
    elsewhere = make_client(server.base_url, key, state_dir=tmp_path / "elsewhere")
    for _ in range(8):
        next(elsewhere.statistic_groups.list(limit=1).pages())
    here = make_client(server.base_url, key, max_requests_per_hour=10, rate_window=2.0)
    for _ in range(6):  # this file believes 10 are left; the server has 2
        assert list(here.statistic_groups.list(limit=1)) == []
    assert server.stats(key)["rate_limited"] == 0
    assert here.counters.rate_limited == 0
    assert here.counters.throttled_seconds > 0  # it waited for the server's window instead


def test_plain_http_is_refused_before_anything_is_created(state_dir: Path) -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        OssitClient("dk_x", base_url="http://ossit.ca", state_dir=state_dir)
    assert not state_dir.exists()


def test_threads_share_one_client(
    client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    def work(n: int) -> list[str]:
        return [client.statistic_groups.create(f"t{n}-{i}")["name"] for i in range(5)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        names = [name for batch in pool.map(work, range(4)) for name in batch]
    assert len(set(names)) == 20
    assert client.counters.requests == requests_seen(sandbox, domain_key) == 20
    assert ledgers.count_since(client, ledgers.now_ms(client) - 60_000) == 20
