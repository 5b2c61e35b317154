"""Fixtures of the OpenAPI conformance run and the official client test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import ossit
import pytest
from ossit_sandbox.launcher import SandboxServer
from sandbox_api import Api


@pytest.fixture(scope="module")
def api_call(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Where the OpenAPI run sends its requests and with which key (`Case.call` arguments).

    One sandbox per module, with a rate limit high enough that no 429 hides a real answer.
    The domain holds generated data, so lists have pages to validate, and the records the
    document's examples name (group `Website`, statistic `Visits`, interval `int_1`), so the
    examples reach real records rather than 404s.
    """
    db = tmp_path_factory.mktemp("openapi") / "sandbox.db"
    with SandboxServer(db, rate_limit=1_000_000) as server:
        key = server.create_domain("openapi", time_zone="America/Toronto")
        server.generate(key, groups=2, statistics=2, days=3, intervals=4, seed=1)
        seed = Api(server.base_url, key)
        seed.ok(seed.post("/statistic-groups", {"name": "Website"}), 201)
        visits = {"group": "Website", "name": "Visits", "value": 1, "reference_date": "2026-11-24"}
        seed.ok(seed.post("/statistics", visits), 201)
        seed.session.close()
        yield {"base_url": server.base_url, "headers": {"Authorization": f"Bearer {key}"}}


@pytest.fixture(scope="module")
def bounded_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox whose connection bounds are short (1 s), for the slow-client tests."""
    db = tmp_path_factory.mktemp("bounded") / "sandbox.db"
    with SandboxServer(db, read_timeout=1.0, idle_timeout=1) as server:
        yield server


@pytest.fixture
def official_ossit(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The official client aimed at the shared sandbox with a fresh domain's key.

    The client keeps its base URL on a class and its key and time zone on a module-level
    config object; monkeypatch puts all three back when the test ends.
    """
    key = sandbox.create_domain("official", time_zone="America/Edmonton")
    monkeypatch.setattr(ossit.api_requestor.APIRequestor, "base_url", sandbox.base_url)
    monkeypatch.setattr(ossit.config, "domain_key", key)
    monkeypatch.setattr(ossit.config, "TIME_ZONE", "America/Edmonton")
    yield key


@pytest.fixture
def api(sandbox: SandboxServer, domain_key: str) -> Iterator[Api]:
    """An :class:`Api` on the session sandbox with a fresh domain."""
    client = Api(sandbox.base_url, domain_key)
    yield client
    client.session.close()


@pytest.fixture
def make_api() -> Iterator[Callable[[SandboxServer, str | None], Api]]:
    """``make_api(server, key)``: an :class:`Api` for another server or key."""
    made: list[Api] = []

    def make(server: SandboxServer, key: str | None) -> Api:
        made.append(Api(server.base_url, key))
        return made[-1]

    yield make
    for client in made:
        client.session.close()
