"""Fault flags and scripted faults: errors before any change, lost answers after one."""

from __future__ import annotations

import email.utils
import sqlite3

import pytest
import requests
from ossit_sandbox.launcher import SandboxServer
from sandbox_api import Api


def _count(server: SandboxServer, table: str) -> int:
    with sqlite3.connect(server.db_path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_fail_rate_answers_500_or_503_before_anything_changes(sandbox_factory, make_api) -> None:
    server: SandboxServer = sandbox_factory(fail_rate=1.0, fault_seed=1)
    api = make_api(server, server.create_domain("f"))
    statuses = {api.post("/statistic-groups", {"name": f"g{i}"}).status_code for i in range(20)}
    assert statuses == {500, 503}
    assert _count(server, "groups") == 0
    assert server.stats(api.key)["faults"] == 20


def test_random_faults_are_reproducible_with_a_seed(sandbox_factory, make_api) -> None:
    runs = []
    for _ in range(2):
        server: SandboxServer = sandbox_factory(fail_rate=0.4, drop_rate=0.0, fault_seed=42)
        api = make_api(server, server.create_domain("f"))
        runs.append([api.get("/points").status_code for _ in range(30)])
    assert runs[0] == runs[1]
    assert {200, 500, 503} <= set(runs[0]) or {200} < set(runs[0])
    assert 0 < sum(s != 200 for s in runs[0]) < 30


def test_drop_rate_applies_writes_and_closes_without_an_answer(sandbox_factory, make_api) -> None:
    server: SandboxServer = sandbox_factory(drop_rate=1.0, fault_seed=3)
    api = make_api(server, server.create_domain("d"))
    with pytest.raises(requests.ConnectionError):
        api.post("/statistic-groups", {"name": "applied"})
    assert _count(server, "groups") == 1
    assert api.ok(api.get("/statistic-groups"))["data"][0]["name"] == "applied"  # reads pass
    assert server.stats(api.key)["faults"] == 1


def test_scripted_faults_count_method_path_and_clear(sandbox: SandboxServer, api: Api) -> None:
    sandbox.add_fault(api.key, status=503, method="GET", path="/v1/api/points", count=2)
    assert api.get("/statistic-groups").status_code == 200
    assert api.post("/points/batch", {"points": []}).status_code == 200
    assert [api.get("/points").status_code for _ in range(3)] == [503, 503, 200]
    sandbox.add_fault(api.key, status=500, count=-1)
    assert [api.get("/intervals").status_code for _ in range(3)] == [500, 500, 500]
    sandbox.clear_faults(api.key)
    assert api.get("/intervals").status_code == 200
    stats = sandbox.stats(api.key)
    assert stats["faults"] == 5
    assert stats["by_endpoint"]["GET /v1/api/points"] == 3
    sandbox.reset_stats(api.key)
    assert sandbox.stats(api.key) == {
        "requests": 0, "by_endpoint": {}, "rate_limited": 0, "faults": 0,
    }  # fmt: skip


def test_scripted_retry_after_in_seconds_and_as_http_date(sandbox: SandboxServer, api: Api) -> None:
    sandbox.add_fault(api.key, status=429, retry_after="3")
    answer = api.get("/points")
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "3")
    assert answer.json()["error"]["code"] == "rate_limited"
    sandbox.add_fault(api.key, status=503, retry_after="http-date:3")
    answer = api.get("/points")
    assert answer.status_code == 503
    assert email.utils.parsedate_to_datetime(answer.headers["retry-after"]) is not None


def test_scripted_drop_then_idempotent_retry(sandbox: SandboxServer, api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)
    sandbox.add_fault(api.key, method="POST", path="/v1/api/statistics/", drop=True)
    body = {"method": "add", "value": 5, "reference_date": "2026-01-01"}
    headers = {"Idempotency-Key": "retry-after-lost-answer"}
    with pytest.raises(requests.ConnectionError):
        api.post("/statistics/G/s", body, headers=headers)
    retried = api.ok(api.post("/statistics/G/s", body, headers=headers))
    assert retried["value"] == 5
    assert retried == api.ok(api.get("/statistics/G/s"))


def test_control_endpoint_validation(sandbox: SandboxServer, api: Api) -> None:
    for body in ({"status": 99}, {"count": -2}, {"path": "points"}, {"drop": "yes"},
                 {"retry_after": 3}, {"method": 5}):  # fmt: skip
        answer = api.call("POST", "/_sandbox/faults", json=body)
        assert answer.status_code == 422, body
    anonymous = requests.get(f"{sandbox.base_url}/_sandbox/stats", timeout=10)
    assert anonymous.status_code == 401
    assert api.call("GET", "/_sandbox/health").json() == {"status": "ok"}


def test_latency_flag_still_answers(sandbox_factory, make_api) -> None:
    server: SandboxServer = sandbox_factory(latency_ms=20)
    api = make_api(server, server.create_domain("slow"))
    assert api.get("/points").status_code == 200
