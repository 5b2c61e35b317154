"""The per-key rolling-window rate limit and its headers."""

from __future__ import annotations

import time
import uuid

import pytest
from ossit_sandbox import ratelimit
from ossit_sandbox.launcher import SandboxServer
from ossit_sandbox.ratelimit import RateLimiter
from sandbox_api import Api


def _limits(answer) -> tuple[int, int, int]:
    headers = answer.headers
    return (
        int(headers["x-ratelimit-limit"]),
        int(headers["x-ratelimit-remaining"]),
        int(headers["x-ratelimit-reset"]),
    )


def test_every_answer_carries_the_headers(api: Api) -> None:
    answers = [
        api.get("/points"), api.get("/statistic-groups/none"), api.get("/points", limit=0),
        api.post("/statistic-groups", {"name": "g"}), api.call("PATCH", "/points"),
        api.get("/nowhere"),
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 404, 422, 201, 405, 404]
    remaining = [_limits(a)[1] for a in answers]
    assert remaining == list(range(999, 993, -1))
    assert all(_limits(a)[0] == 1000 for a in answers)
    assert all(0 < _limits(a)[2] <= 3600 for a in answers)


def test_429_with_retry_after_then_the_window_rolls(sandbox_factory, make_api) -> None:
    server: SandboxServer = sandbox_factory(rate_limit=3, rate_window=2.0)
    key, other_key = server.create_domain("a"), server.create_domain("b")
    api, other = make_api(server, key), make_api(server, other_key)
    assert [_limits(api.get("/points"))[1] for _ in range(3)] == [2, 1, 0]
    refused = api.get("/points")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert _limits(refused)[:2] == (3, 0)
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    assert 1 <= _limits(refused)[2] <= 2
    # Another key has its own window; control endpoints are never limited nor counted.
    assert other.get("/points").status_code == 200
    for _ in range(5):
        assert api.call("GET", "/_sandbox/health").status_code == 200
    stats = server.stats(key)
    assert (stats["requests"], stats["rate_limited"]) == (4, 1)
    # The window rolls: polled (refusals are not counted), a request is admitted again once
    # the oldest admitted ones have left the window (a bucket of them leaves at once), and
    # what they held is free again.
    deadline = time.monotonic() + 30
    while (again := api.get("/points")).status_code == 429:
        assert time.monotonic() < deadline, "the window never rolled"
        time.sleep(0.05)
    limit, remaining, _ = _limits(again)
    assert limit == 3 and 0 <= remaining <= 2  # slots freed, and this request took one
    assert server.stats(key)["requests"] > 4


def test_refused_requests_change_nothing(sandbox_factory, make_api) -> None:
    server: SandboxServer = sandbox_factory(rate_limit=1, rate_window=3600)
    api = make_api(server, server.create_domain("a"))
    api.ok(api.post("/statistic-groups", {"name": "kept"}), 201)
    refused = api.post("/statistic-groups", {"name": "refused"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 3500
    server.reset_stats(api.key)  # also forgets the window
    names = [g["name"] for g in api.ok(api.get("/statistic-groups"))["data"]]
    assert names == ["kept"]


def test_keys_that_open_no_domain_get_no_window(sandbox_factory, make_api) -> None:
    """Regression: windows were an LRU of 10,000 keys, so a flood of random keys evicted a
    live domain's window and handed it a fresh limit. Now only live domains get one."""
    server: SandboxServer = sandbox_factory(rate_limit=2, rate_window=3600)
    api = make_api(server, server.create_domain("limited"))
    assert [api.get("/points").status_code for _ in range(3)] == [200, 200, 429]
    stranger = make_api(server, None)
    for _ in range(200):
        stranger.session.headers["Authorization"] = f"Bearer dk_{uuid.uuid4().hex}"
        answer = stranger.get("/points")
        assert answer.status_code == 401
        assert not any(name.startswith("x-ratelimit") for name in answer.headers), answer.headers
    refused = api.get("/points")
    assert refused.status_code == 429
    assert _limits(refused)[:2] == (2, 0)
    assert int(refused.headers["retry-after"]) > 3500


def test_a_window_is_only_forgotten_once_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "FIRST_SWEEP", 4)
    limiter = RateLimiter(limit=1, window=60)
    assert limiter.hit("busy", now=0).allowed
    for n in range(50):  # the sweeps at 4, 8, 16 and 32 windows find all live: none goes
        assert limiter.hit(f"domain-{n}", now=30).allowed
    assert not limiter.hit("busy", now=59).allowed
    # Private table, read on purpose: which windows it holds is what this test is about.
    assert len(limiter._windows) == 51
    for n in range(50, 64):  # the sweep at 64 windows finds "busy" empty, and only it
        assert limiter.hit(f"domain-{n}", now=61).allowed
    assert "busy" not in limiter._windows and len(limiter._windows) == 64
    assert not limiter.hit("domain-0", now=61).allowed
    assert limiter.hit("busy", now=61).allowed  # what it dropped held nothing
