"""What a client can make the sandbox hold: request bodies, per-key state, stored answers,
and what the database file gives away (domain keys are stored hashed, the file is 0600)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from ossit_sandbox import bounded, faults, idempotency
from ossit_sandbox.auth import create_domain, find_domain
from ossit_sandbox.control import Control, Settings
from ossit_sandbox.idempotency import Claim, WriteRequests
from ossit_sandbox.launcher import SandboxServer
from ossit_sandbox.store.db import Store
from ossit_schemas import REQUEST_BODY_MAX_BYTES as MAX_BODY
from sandbox_api import Api


def _raw_request(
    server: SandboxServer, head: str, chunks: Sequence[bytes] = ()
) -> tuple[int, dict[str, Any]]:
    """Send a request head and then ``chunks`` over a plain socket; the answer's status and
    JSON body. The answer must come without the client ever finishing the body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1"))
        for chunk in chunks:
            sock.sendall(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    return int(head_bytes.split()[1]), orjson.loads(body)


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 30


@pytest.mark.parametrize("path", ["/v1/api/points/batch", "/v1/api/statistic-groups",
                                  "/_sandbox/faults"])  # fmt: skip
def test_a_declared_length_over_the_limit_is_413_before_reading(
    sandbox: SandboxServer, domain_key: str, path: str
) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {domain_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n"
    )  # fmt: skip
    status, body = _raw_request(sandbox, head)  # not one byte of the body is sent
    assert status == 413 and body["error"]["code"] == "payload_too_large", body
    assert sandbox.stats(domain_key)["requests"] == 0


def test_a_chunked_body_is_cut_off_as_it_passes_the_limit(
    sandbox: SandboxServer, domain_key: str
) -> None:
    head = (
        "POST /v1/api/points/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {domain_key}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )  # fmt: skip
    piece = 1 << 20
    chunks = [b"%x\r\n%s\r\n" % (piece, b" " * piece)] * (MAX_BODY // piece)
    chunks.append(b"1\r\n \r\n")  # one byte past the limit, and the body never ends
    status, body = _raw_request(sandbox, head, chunks)
    assert status == 413 and body["error"]["code"] == "payload_too_large", body


def test_unknown_paths_and_methods_share_one_counter(sandbox: SandboxServer, api: Api) -> None:
    for _ in range(5):
        assert api.get(f"/{uuid.uuid4()}/{uuid.uuid4()}").status_code == 404
    assert api.call(f"X{uuid.uuid4().hex[:8].upper()}", "/statistic-groups").status_code == 405
    assert sandbox.stats(api.key)["by_endpoint"] == {
        "GET (no such endpoint)": 5, "OTHER /v1/api/statistic-groups": 1,
    }  # fmt: skip


def test_per_key_state_is_capped_however_many_keys_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "MAX_TRACKED_KEYS", 3)
    control = Control(Settings(db=":memory:"))
    for n in range(20):
        control.stats(f"random-{n}").requests += 1
        control.faults.add(f"random-{n}", {"status": 503})
    # Private tables, read on purpose: their size is what this test is about.
    assert len(control._stats) == len(control.faults._rules) == 3
    assert control.stats("random-19").requests == 1  # the recent keys are the ones kept
    assert control.stats("random-0").requests == 0  # an evicted key starts afresh


def test_a_key_keeps_its_newest_fault_rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faults, "MAX_RULES_PER_KEY", 2)
    control = Control(Settings(db=":memory:"))
    for status in (500, 502, 503):
        control.faults.add("k", {"status": status, "count": -1, "path": f"/{status}"})
    assert control.faults.pick("k", "GET", "/500") is None
    assert [control.faults.pick("k", "GET", f"/{s}").status for s in (502, 503)] == [502, 503]


def test_stored_answers_are_capped_per_domain_key_oldest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "MAX_STORED_PER_DOMAIN", 3)
    store = Store(str(tmp_path / "idem.db"))
    writes = WriteRequests(store)

    async def store_answers(domain: str, count: int) -> None:
        for n in range(count):
            async with writes.open(Claim(domain, f"key-{n}", "print")) as write:
                await write.commit(201, b"{}")

    asyncio.run(store_answers("domain-a", 5))
    asyncio.run(store_answers("domain-b", 2))
    rows = store.conn.execute(
        "SELECT domain_key, key FROM idempotency ORDER BY domain_key, key"
    ).fetchall()
    store.close()
    assert rows == [("domain-a", "key-2"), ("domain-a", "key-3"), ("domain-a", "key-4"),
                    ("domain-b", "key-0"), ("domain-b", "key-1")]  # fmt: skip


def test_the_database_holds_key_hashes_only_and_is_private(
    sandbox_factory: Callable[..., SandboxServer], make_api: Callable[..., Api]
) -> None:
    server = sandbox_factory()
    key = server.create_domain("hashed")
    api = make_api(server, key)
    api.ok(api.post("/statistic-groups", {"name": "g"}, headers={"Idempotency-Key": "i-1"}), 201)
    assert api.ok(api.get(f"/domains/{key}"))["key"] == key
    created = api.ok(api.post("/domains", {"name": "second"}), 201)
    second = make_api(server, created["key"])
    assert second.ok(second.get("/domains"))["data"][0]["key"] == created["key"]
    digest = hashlib.sha256(key.encode()).hexdigest()
    with sqlite3.connect(server.db_path) as conn:
        assert conn.execute("SELECT key FROM domains ORDER BY id").fetchall()[0] == (digest,)
        assert conn.execute("SELECT domain_key FROM idempotency").fetchall() == [(digest,)]
    files = [Path(server.db_path + suffix) for suffix in ("", "-wal", "-shm")]
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600, path
        assert key.encode() not in path.read_bytes()
        assert created["key"].encode() not in path.read_bytes()


def test_created_keys_are_returned_clear_once_and_found_by_hash(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # a permissive umask must not make the file readable
    try:
        store = Store(str(tmp_path / "new.db"))
    finally:
        os.umask(old_umask)
    created = create_domain(store, "d")
    assert created.key.startswith("dk_") and created.key not in repr(created)
    assert find_domain(store, created.key) == created.domain
    assert find_domain(store, created.domain.key_hash) is None  # the hash is no key
    store.close()
    assert (tmp_path / "new.db").stat().st_mode & 0o777 == 0o600
