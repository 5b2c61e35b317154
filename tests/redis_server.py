"""A throw-away ``redis-server`` on a free 127.0.0.1 port, for the shared-budget tests.

No persistence (``--save ''``, ``--appendonly no``): a restart forgets everything, which is the
case the client must survive. A password is required, so the tests also show it never leaks.
``stop``/``start`` again reuse the same port (a restart mid-run); ``close`` ends it for good.
Readiness is polled (``PING``) rather than slept for.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

PASSWORD = "redis-pw-7f3a9c1e"
START_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port nothing listens on at the moment (bound and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process owned by a test; ``url`` carries the password."""

    def __init__(self, workdir: Path, password: str = PASSWORD) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: apt-get install -y redis-server")
        self.binary = binary
        self.workdir = workdir
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A plain redis-py client of this server (for looking inside it)."""
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password)

    def start(self) -> RedisServer:
        argv = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--requirepass", self.password,
            "--logfile", str(self.workdir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        probe = self.client()
        try:
            while True:
                try:
                    probe.ping()
                    return self
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        log = (self.workdir / "redis.log").read_text(errors="replace")
                        raise RuntimeError(f"redis-server did not start:\n{log}") from None
                    time.sleep(0.01)
        finally:
            probe.close()

    def stop(self) -> None:
        """Stop the server and wait until it is gone (its data is lost: no persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
