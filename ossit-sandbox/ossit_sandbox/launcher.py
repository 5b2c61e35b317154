"""Start a real sandbox server in a subprocess, for tests, benchmarks and the demo.

``SandboxServer`` runs ``python -m ossit_sandbox serve`` (this interpreter's, or ``python``:
another venv's, where it is installed) on a free 127.0.0.1 port, waits for
``/_sandbox/health`` and stops the process with SIGTERM (then SIGKILL). Domains and data are
written straight into the same SQLite file; stats and faults go over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from ossit_schemas import RATE_LIMIT_DEFAULT, RATE_LIMIT_WINDOW_SECONDS

from ossit_sandbox.auth import create_domain
from ossit_sandbox.connections import IDLE_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS
from ossit_sandbox.generator import generate
from ossit_sandbox.store.db import Store


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxError(RuntimeError):
    """The server did not start, or a control call failed."""


class SandboxServer:
    """A running ``ossit-sandbox serve`` process; use as a context manager."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        rate_limit: int = RATE_LIMIT_DEFAULT,
        rate_window: float = float(RATE_LIMIT_WINDOW_SECONDS),
        fail_rate: float = 0.0,
        drop_rate: float = 0.0,
        fault_seed: int | None = None,
        latency_ms: float = 0,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        idle_timeout: int = IDLE_TIMEOUT_SECONDS,
        port: int | None = None,
        startup_timeout: float = 30.0,
        python: str = sys.executable,
    ) -> None:
        self.db_path = str(db_path)
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self._args = [
            python, "-m", "ossit_sandbox", "serve",
            "--host", "127.0.0.1", "--port", str(self.port), "--db", self.db_path,
            "--rate-limit", str(rate_limit), "--rate-window", str(rate_window),
            "--fail-rate", str(fail_rate), "--drop-rate", str(drop_rate),
            "--latency-ms", str(latency_ms),
            "--read-timeout", str(read_timeout), "--idle-timeout", str(idle_timeout),
        ]  # fmt: skip
        if fault_seed is not None:
            self._args += ["--fault-seed", str(fault_seed)]
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(f"{self.db_path}.{self.port}.log")
        Store(self.db_path).close()  # create the schema before the server and we both use it

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Start the process and wait until it answers its health check."""
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self._args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
            )
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SandboxError(f"sandbox exited during startup:\n{self.stderr()}")
            try:
                if self._request("GET", "/_sandbox/health", timeout=1.0) == {"status": "ok"}:
                    return self
            except (OSError, SandboxError):
                time.sleep(0.05)
        self.stop()
        raise SandboxError(f"sandbox did not answer within {self._startup_timeout}s:\n"
                           f"{self.stderr()}")  # fmt: skip

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself; its return code (``-9`` after SIGKILL)."""
        if self._process is None:
            raise SandboxError("the sandbox is not running")
        return self._process.wait(timeout)

    def stderr(self) -> str:
        """What the server wrote to stderr so far (kept next to the database file)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- data ------------------------------------------------------------------------------

    def create_domain(self, name: str, time_zone: str = "UTC") -> str:
        """A new domain in this server's database; returns its key."""
        store = Store(self.db_path)
        try:
            return create_domain(store, name, time_zone).key
        finally:
            store.close()

    def generate(self, key: str, **options: int) -> dict[str, int]:
        """Fill a domain with deterministic data (options as the ``generate`` command's)."""
        return generate(self.db_path, key, **options)

    # -- control endpoints -----------------------------------------------------------------

    def _request(
        self, method: str, path: str, key: str | None = None, body: Any = None,
        timeout: float = 10.0,
    ) -> Any:  # fmt: skip
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SandboxError(f"{method} {path} answered {exc.code}") from None

    def stats(self, key: str) -> dict[str, Any]:
        """The key's request counters (GET /_sandbox/stats)."""
        return self._request("GET", "/_sandbox/stats", key)

    def reset_stats(self, key: str) -> None:
        """Zero the key's counters and rate-limit window."""
        self._request("POST", "/_sandbox/stats/reset", key, {})

    def add_fault(
        self,
        key: str,
        status: int = 503,
        method: str | None = None,
        path: str = "/v1/api",
        count: int = 1,
        retry_after: str | None = None,
        drop: bool = False,
    ) -> None:
        """Make the key's next ``count`` matching requests fail (see POST /_sandbox/faults)."""
        body = {"method": method, "path": path, "status": status, "count": count,
                "retry_after": retry_after, "drop": drop}  # fmt: skip
        self._request("POST", "/_sandbox/faults", key, body)

    def clear_faults(self, key: str) -> None:
        """Remove the key's scripted faults."""
        self._request("DELETE", "/_sandbox/faults", key)
