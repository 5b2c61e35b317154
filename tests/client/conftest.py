"""Fixtures local to the client tests: a private budget directory, fast-retrying clients,
and a misbehaving HTTP server (``hostile``) for the cases a real server never produces.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer


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


# -- a misbehaving server ------------------------------------------------------------------

#: The key of every hostile test: its characters escape differently in a repr, JSON, a URL.
HOSTILE_KEY = "dk_test/a+b c%d\\e\"f'g~0123456789"


@dataclass(frozen=True)
class SeenRequest:
    """One request as the hostile server read it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Exchange:
    """One request and the means to answer it, however badly."""

    request: SeenRequest
    sock: socket.socket
    stopping: threading.Event
    number: int  # 1 for the server's first request

    def send(self, data: bytes) -> None:
        """Raw bytes to the client."""
        self.sock.sendall(data)

    def answer(
        self, status: int = 200, body: Any = b"", headers: Mapping[str, str] | None = None
    ) -> None:
        """A complete answer (``body`` other than bytes goes as JSON)."""
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        lines = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def pause(self, seconds: float) -> bool:
        """Sleep; False once the server is stopping (a dripping handler should then return)."""
        return not self.stopping.wait(seconds)


#: Answers one exchange; returns False to close the connection afterwards.
Handler = Callable[[Exchange], bool | None]


class HostileServer:
    """A raw-socket HTTP/1.1 server on 127.0.0.1 whose every answer the test scripts.

    The handler writes whatever it likes (a drip, a gzip bomb, garbage) to the socket, so
    cases no well-behaved framework produces are easy to make. Each connection is served by
    its own daemon thread; ``stop`` closes every socket, which also ends any drip.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[SeenRequest] = []
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def count(self) -> int:
        """Requests read so far."""
        with self._lock:
            return len(self.requests)

    def stop(self) -> None:
        self.stopping.set()
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        with contextlib.suppress(OSError, ValueError):
            while not self.stopping.is_set():
                request = self._read_request(reader)
                if request is None:
                    break
                with self._lock:
                    self.requests.append(request)
                    number = len(self.requests)
                if self.handler(Exchange(request, connection, self.stopping, number)) is False:
                    break
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        connection.close()

    @staticmethod
    def _read_request(reader: Any) -> SeenRequest | None:
        line = reader.readline()
        if not line:
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", "0")))
        parts = urlsplit(target)
        return SeenRequest(method, parts.path, dict(parse_qsl(parts.query)), headers, body)


@pytest.fixture
def hostile() -> Iterator[Callable[[Handler], HostileServer]]:
    """``hostile(handler)`` starts a ``HostileServer``; every one is stopped at test end."""
    servers: list[HostileServer] = []

    def start(handler: Handler) -> HostileServer:
        server = HostileServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


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
