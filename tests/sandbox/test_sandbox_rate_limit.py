"""The per-key rolling-window rate limit and its headers."""

from __future__ import annotations

import time

from ossit_sandbox.launcher import SandboxServer
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
    time.sleep(2.1)
    again = api.get("/points")
    assert again.status_code == 200
    assert _limits(again)[1] == 2


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
