"""Fixtures local to the client tests: a private budget directory, fast-retrying clients,
clients of a misbehaving HTTP server (``hostile``, from the root conftest.py; the server
itself is ``tests/hostile_server.py``) for the cases a real server never produces, and the
waits a client makes (``waits``), so a test asserts the waits it planned, never a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HOSTILE_KEY, HostileServer
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer
from recorded_waits import Waits, record_waits


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh budget directory; the env override points there too, so nothing leaks to ~."""
    directory = tmp_path / "ossit-state"
    monkeypatch.setenv("OSSIT_CLIENT_STATE_DIR", str(directory))
    return directory


@pytest.fixture
def make_client(state_dir: Path) -> Iterator[Callable[..., OssitClient]]:
    """Build clients with fast retry timing and the test's own budget dir; all closed after."""
    clients: list[OssitClient] = []

    def build(base_url: str, key: str, **overrides: Any) -> OssitClient:
        options: dict[str, Any] = {
            "timeout": 10.0,
            "max_retries": 4,
            "backoff_base": 0.01,
            "backoff_max": 0.05,
            "max_retry_wait": 20.0,
            "state_dir": state_dir,
        }
        options.update(overrides)
        client = OssitClient(key, base_url=base_url, **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(
    sandbox: SandboxServer, domain_key: str, make_client: Callable[..., OssitClient]
) -> OssitClient:
    """A fast-retrying client on a fresh domain of the shared sandbox."""
    return make_client(sandbox.base_url, domain_key)


# -- clients of a misbehaving server -------------------------------------------------------


@pytest.fixture
def hostile_key() -> str:
    """The domain key ``fast_client`` uses (see ``HOSTILE_KEY``)."""
    return HOSTILE_KEY


@pytest.fixture
def fast_client(make_client: Callable[..., OssitClient]) -> Callable[..., OssitClient]:
    """``fast_client(server, **options)``: a client of a hostile server, quick to give up."""

    def build(server: HostileServer, **overrides: Any) -> OssitClient:
        options: dict[str, Any] = {
            "timeout": 2.0,
            "answer_timeout": 3.0,
            "max_retries": 2,
            "max_retry_wait": 5.0,
            "rate_window": 60.0,
        }
        options.update(overrides)
        return make_client(server.base_url, HOSTILE_KEY, **options)

    return build


# -- the waits a client makes ----------------------------------------------------------------


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Waits:
    """The client's sleeps, recorded (see ``recorded_waits``); a test asserts these, not a clock."""
    return record_waits(monkeypatch)
