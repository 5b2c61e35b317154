"""Root fixtures: a real ossit-sandbox server over 127.0.0.1 (owned by the sandbox area).

- ``sandbox``: one server with default flags for the whole session.
- ``domain_key``: a fresh, empty domain on ``sandbox`` for each test.
- ``sandbox_factory``: start servers with custom flags; each is stopped at test end.
- ``open_client``: API clients of any domain, quick to retry; each is closed at test end.
- ``hostile``: start misbehaving servers (``tests/hostile_server.py``); stopped at test end.
- ``_client_state_in_tmp`` (automatic): every client budget file of the run, in-process or in a
  subprocess (tap, target, meltano), lives in a temporary folder, never in the user's cache.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Handler, HostileServer
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer

_domains = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def _client_state_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point ``OSSIT_CLIENT_STATE_DIR`` at a session folder; subprocesses inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OSSIT_CLIENT_STATE_DIR", str(tmp_path_factory.mktemp("ossit-client-state")))
        yield


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox server shared by the session (default flags: 1000 requests/hour/key)."""
    db = tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite"
    with SandboxServer(db) as server:
        yield server


@pytest.fixture
def domain_key(sandbox: SandboxServer, request: pytest.FixtureRequest) -> str:
    """A new empty domain on the session sandbox, so tests never see each other's data."""
    return sandbox.create_domain(f"{request.node.name[:200]}-{next(_domains)}", time_zone="UTC")


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxServer]]:
    """``sandbox_factory(**flags)`` starts a server with its own database; stopped at the end."""
    servers: list[SandboxServer] = []
    counter = itertools.count(1)

    def start(**flags: Any) -> SandboxServer:
        server = SandboxServer(tmp_path / f"sandbox-{next(counter)}.sqlite", **flags)
        servers.append(server)
        return server.__enter__()

    yield start
    for server in reversed(servers):
        server.__exit__(None, None, None)


@pytest.fixture
def open_client() -> Iterator[Callable[[str, str], OssitClient]]:
    """``open_client(base_url, key)``: a client of any domain (retries after 0.05 s, at most
    0.5 s); every one is closed at test end."""
    clients: list[OssitClient] = []

    def open_one(base_url: str, key: str) -> OssitClient:
        clients.append(OssitClient(key, base_url=base_url, backoff_base=0.05, backoff_max=0.5))
        return clients[-1]

    yield open_one
    for client in clients:
        client.close()


# -- a misbehaving server, for the client, tap and target tests -----------------------------


@pytest.fixture
def hostile() -> Iterator[Callable[[Handler], HostileServer]]:
    """``hostile(handler)`` starts a ``HostileServer`` (tests/hostile_server.py) on 127.0.0.1;
    every one is stopped at test end."""
    servers: list[HostileServer] = []

    def start(handler: Handler) -> HostileServer:
        server = HostileServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
