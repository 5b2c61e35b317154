"""Idempotency-Key: a repeat within 24 h gets the first answer and changes nothing."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from ossit_sandbox.launcher import SandboxServer
from ossit_sandbox.middleware import CRASH_AFTER_COMMIT
from sandbox_api import Api


def _setup(api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)


def test_repeated_add_is_applied_once(api: Api) -> None:
    _setup(api)
    body = {"method": "add", "value": 2, "reference_date": "2026-01-01"}
    key = {"Idempotency-Key": "5f0c1c1e-0000-4000-8000-000000000001"}
    first = api.post("/statistics/G/s", body, headers=key)
    second = api.post("/statistics/G/s", body, headers=key)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert "x-ratelimit-remaining" in second.headers
    assert api.ok(api.get("/statistics/G/s"))["value"] == 2
    # Without a key (or with another one) the add is applied again.
    api.ok(api.post("/statistics/G/s", body))
    api.ok(api.post("/statistics/G/s", body, headers={"Idempotency-Key": "another"}))
    assert api.ok(api.get("/statistics/G/s"))["value"] == 6


def test_replay_keeps_status_for_creates_and_errors(api: Api) -> None:
    key = {"Idempotency-Key": "create-once"}
    first = api.post("/statistic-groups", {"name": "G"}, headers=key)
    again = api.post("/statistic-groups", {"name": "G"}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    missing = {"Idempotency-Key": "missing-group"}
    assert api.post("/statistics", {"group": "X", "name": "s"}, headers=missing).status_code == 404
    api.ok(api.post("/statistic-groups", {"name": "X"}), 201)
    assert api.post("/statistics", {"group": "X", "name": "s"}, headers=missing).status_code == 404


def test_batch_replay_and_key_reuse_for_another_request(api: Api) -> None:
    _setup(api)
    key = {"Idempotency-Key": "batch-1"}
    items = {"points": [{"group": "G", "statistic": "s", "reference_date": "2026-01-01",
                         "value": 1, "method": "add"}]}  # fmt: skip
    first = api.ok(api.post("/points/batch", items, headers=key))
    assert api.ok(api.post("/points/batch", items, headers=key)) == first
    reused = api.post("/points/batch", {"points": []}, headers=key)
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert [p["value"] for p in api.read_all("/points")] == [1]


def test_keys_belong_to_one_domain(sandbox: SandboxServer, api: Api, make_api) -> None:
    other = make_api(sandbox, sandbox.create_domain("other"))
    key = {"Idempotency-Key": "shared-key"}
    mine = api.ok(api.post("/statistic-groups", {"name": "G"}, headers=key), 201)
    theirs = other.ok(other.post("/statistic-groups", {"name": "G"}, headers=key), 201)
    assert mine["id"] != theirs["id"]


def test_concurrent_repeats_are_applied_once(sandbox_factory, make_api) -> None:
    server: SandboxServer = sandbox_factory(latency_ms=100)
    api = make_api(server, server.create_domain("concurrent"))
    _setup(api)
    body = {"method": "add", "value": 1, "reference_date": "2026-01-01"}
    headers = {"Idempotency-Key": "sent-twice-at-once"}
    clients = [make_api(server, api.key) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda c: c.post("/statistics/G/s", body, headers=headers),
                                clients))  # fmt: skip
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert api.ok(api.get("/statistics/G/s"))["value"] == 1


def test_a_write_killed_after_its_commit_is_replayed_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_api
) -> None:
    """The server dies (SIGKILL) right after committing an ``add``, before answering.

    When the write and its stored answer were two transactions, the write could be durable
    without its answer, and the client's retry with the same key applied it again (value 4
    here). Now they commit together: the restarted server replays the answer.
    """
    db = tmp_path / "crash.sqlite"
    body = {"method": "add", "value": 2, "reference_date": "2026-01-01"}
    headers = {"Idempotency-Key": "killed-after-commit"}
    monkeypatch.setenv(CRASH_AFTER_COMMIT, headers["Idempotency-Key"])
    with SandboxServer(db) as doomed:
        api = make_api(doomed, doomed.create_domain("crash"))
        _setup(api)
        with pytest.raises(requests.ConnectionError):
            api.post("/statistics/G/s", body, headers=headers)
        assert doomed.wait(timeout=10) == -signal.SIGKILL
    monkeypatch.delenv(CRASH_AFTER_COMMIT)
    with SandboxServer(db) as restarted:
        again = make_api(restarted, api.key)
        retry = again.post("/statistics/G/s", body, headers=headers)
        assert retry.status_code == 200, retry.text
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.json()["value"] == 2
        assert [p["value"] for p in again.read_all("/points")] == [2]


def test_a_failed_write_keeps_neither_its_changes_nor_a_success(api: Api) -> None:
    """Item 0 creates group `New` and an interval, item 1 names no interval: a 422. Nothing of
    item 0 stays, and the key's stored answer is that 422, never a success."""
    start = "2026-01-01T00:00:00Z"
    batch = {
        "intervals": [{"group": "New", "type": "run", "start": start}, {"id": "int_999999"}],
        "create_missing": True,
    }
    headers = {"Idempotency-Key": "failing-batch"}
    first = api.post("/intervals/batch", batch, headers=headers)
    assert first.status_code == 422, first.text
    assert [item["index"] for item in first.json()["error"]["items"]] == [1]
    assert api.read_all("/statistic-groups") == api.read_all("/intervals") == []
    again = api.post("/intervals/batch", batch, headers=headers)
    assert (again.status_code, again.content) == (422, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert api.read_all("/statistic-groups", include_deleted="true") == []
    assert api.read_all("/intervals", include_deleted="true") == []


def test_a_body_cut_short_by_a_killed_client_is_no_request(
    sandbox: SandboxServer, domain_key: str, api: Api
) -> None:
    """A writer killed mid-upload leaves nothing stored under its key: its retry, with the
    whole body, is applied once (not refused as the key reused for another request)."""
    import json
    import socket
    from urllib.parse import urlparse

    body = json.dumps(
        {
            "points": [
                {
                    "group": "G",
                    "statistic": "s",
                    "reference_date": "2026-01-01",
                    "value": 2,
                    "method": "add",
                }
            ],
            "create_missing": True,
        }
    )
    address = urlparse(sandbox.base_url)
    head = (f"POST /v1/api/points/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            f"{domain_key}\r\nIdempotency-Key: cut-1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
        raw.sendall(head.encode() + body.encode()[: len(body) // 2])
    headers = {"Authorization": f"Bearer {domain_key}", "Idempotency-Key": "cut-1"}
    retry = requests.post(
        f"{sandbox.base_url}/v1/api/points/batch", data=body, headers=headers, timeout=10
    )

    assert retry.status_code == 200, retry.text
    assert api.ok(api.get("/statistics/G/s"))["value"] == 2
