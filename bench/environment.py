"""What the benchmarks share: a work folder, and sandboxes holding generated domains.

Each sandbox runs with a rate limit that never binds (throughput is about the
programs, not the budget) unless a benchmark asks for another. The two source
domains are generated once per run and read back once with the plain loop, to
learn exactly how many records each stream holds (tombstones included, as the
taps read them); that read is also the sandbox's list-rate measurement.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
from ossit_sandbox.launcher import SandboxServer

from bench.baseline_tap import PATHS, pages, session_for
from bench.harness import BenchError, PeakRss, Run, run_measured, say, write_json_file
from bench.profiles import DomainShape, Profile

UNBOUNDED_RATE = 1_000_000
"""Requests per window for sandboxes whose limit must not interfere (and the clients' budget)."""
SEED = 7


def server_pid(server: SandboxServer) -> int:
    """The pid of the server process listening on `server`'s port (a child of this process)."""
    port = str(urlsplit(server.base_url).port)
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            command = child.cmdline()
            if port in command and "serve" in command:
                return child.pid
    raise RuntimeError(f"no sandbox process found listening on port {port}")


def min_requests(counts: dict[str, int], page_size: int = 1000) -> int:
    """The fewest list requests that read every stream: ceil(records / page) each, at least 1."""
    return sum(max(1, math.ceil(count / page_size)) for count in counts.values())


@dataclass(frozen=True)
class ReadBack:
    """One plain page-by-page read of a domain's every stream."""

    counts: dict[str, int]
    points_s: float
    server_peak_rss_mb: float


@dataclass(frozen=True)
class Source:
    """A generated domain alone on its own sandbox."""

    server: SandboxServer
    key: str
    shape: DomainShape
    generate_s: float
    read_back: ReadBack

    @property
    def counts(self) -> dict[str, int]:
        return self.read_back.counts

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    def requests(self) -> dict[str, Any]:
        """Requests counted by the sandbox since the last `reset()`."""
        return self.server.stats(self.key)

    def reset(self) -> None:
        self.server.reset_stats(self.key)

    def measured_read(
        self, argv: list[str], *, who: str, log: Path, stdout: Path | None = None
    ) -> tuple[Run, int]:
        """A full read of this domain by `argv`, and the requests the sandbox counted for it.

        Fewer requests than one per page means the program skipped data: its time would
        not be a read of the domain, so that is an error, not a figure.
        """
        self.reset()
        run = run_measured(argv, log=log, stdout=stdout)
        requests = self.requests()["requests"]
        if requests < min_requests(self.counts):
            raise BenchError(f"the {who} made {requests} requests: it read too little")
        return run, requests


def read_back(server: SandboxServer, key: str) -> ReadBack:
    """Count every stream with the plain loop, timing the points and sampling server memory."""
    counts = {}
    points_s = 0.0
    with session_for(key) as session, PeakRss(server_pid(server)) as server_rss:
        for stream, path in PATHS.items():
            start = time.perf_counter()
            counts[stream] = sum(len(page) for page in pages(session, server.base_url, path, 1000))
            if stream == "points":
                points_s = time.perf_counter() - start
    return ReadBack(counts=counts, points_s=points_s, server_peak_rss_mb=server_rss.peak_mb)


@dataclass(frozen=True)
class Load:
    """One load into an empty domain: the run, its requests and, if asked, what it loaded."""

    run: Run
    requests: int
    counts: dict[str, int]
    """Records per stream in the domain afterwards (tombstones included); empty if not asked."""


class Environment:
    """The run's work folder and its sandboxes, all stopped by `close()`."""

    def __init__(self, profile: Profile, workdir: Path) -> None:
        self.profile = profile
        self.workdir = workdir
        self._stack = contextlib.ExitStack()

    def close(self) -> None:
        self._stack.close()

    def path(self, name: str) -> Path:
        return self.workdir / name

    def start_server(
        self, name: str, *, rate_limit: int = UNBOUNDED_RATE, rate_window: float = 3600.0
    ) -> SandboxServer:
        """A sandbox on a new database, up until the end of the run."""
        return self._stack.enter_context(self._server(name, rate_limit, rate_window))

    @contextlib.contextmanager
    def fresh_server(self, name: str) -> Iterator[SandboxServer]:
        """A sandbox on a new database, stopped and deleted on leaving the block."""
        with self._server(name, UNBOUNDED_RATE, 3600.0) as server:
            yield server

    @contextlib.contextmanager
    def _server(self, name: str, rate_limit: int, rate_window: float) -> Iterator[SandboxServer]:
        database = self.path(f"{name}.db")
        try:
            with SandboxServer(database, rate_limit=rate_limit, rate_window=rate_window) as server:
                yield server
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)

    def generate(self, name: str, shape: DomainShape, server: SandboxServer) -> Source:
        """Fill a new domain on `server` with `shape`, then read it back once."""
        key = server.create_domain(name, time_zone="UTC")
        say(f"generating {shape.points:,} points ({name})")
        start = time.perf_counter()
        server.generate(
            key,
            groups=shape.groups,
            statistics=shape.statistics,
            days=shape.days,
            intervals=shape.intervals,
            seed=SEED,
        )
        generate_s = time.perf_counter() - start
        say(f"reading {name} back")
        source = Source(server, key, shape, generate_s, read_back(server, key))
        source.reset()
        return source

    @cached_property
    def big(self) -> Source:
        """The large source domain (1M points in a full run) on its own sandbox."""
        return self.generate("big", self.profile.big, self.start_server("big"))

    @cached_property
    def small(self) -> Source:
        """The small source domain (100k points in a full run) on its own sandbox."""
        return self.generate("small", self.profile.small, self.start_server("small"))

    def config_file(self, name: str, server: SandboxServer, key: str, **settings: Any) -> Path:
        """A tap or target config file for one domain (its budget unbounded unless given)."""
        config = {"domain_key": key, "base_url": server.base_url}
        config |= {"max_requests_per_hour": UNBOUNDED_RATE} | settings
        return write_json_file(self.path(f"{name}.config.json"), config)

    def measured_load(
        self,
        name: str,
        command: Callable[[Path], list[str]],
        stdin: Path,
        *,
        count: bool = False,
    ) -> Load:
        """Run `command(config)` on `stdin` against a new empty domain of a fresh sandbox.

        A fresh database each time, so that no load runs against a bigger index than
        another; `count` reads the domain back afterwards, to check what was loaded.
        """
        with self.fresh_server(name) as server:
            key = server.create_domain(name, time_zone="UTC")
            config = self.config_file(name, server, key)
            run = run_measured(command(config), stdin=stdin, log=self.path(f"logs/{name}.log"))
            requests = server.stats(key)["requests"]
            counts = read_back(server, key).counts if count else {}
        return Load(run=run, requests=requests, counts=counts)
