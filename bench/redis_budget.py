"""Benchmark: the request budget in Redis (``budget_url``) against the budget file.

`uv run python -m bench.redis_budget [--output FILE]` starts a throw-away `redis-server` on a
free 127.0.0.1 port (no persistence) and measures:

1. the budget's cost per request -- one turn, its settling and the reading of the answer's
   rate-limit headers (``Budget.take_turn``, ``settle``), no HTTP -- in Redis and in the
   file, alternately in the same run, and their ratio;
2. `PROCESSES` worker processes (``bench.shared_budget``'s worker), each with its own state
   dir, sharing only the Redis budget against a sandbox allowing `LIMIT` per `WINDOW` s: the
   time from "go" to the last answer over the fastest legal schedule, and the 429s the
   sandbox had to send.

Measured here, not asserted in the tests (``tests/client/test_client_redis_budget.py``).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
from ossit_client import BUDGET_URL_ENV
from ossit_client._budget import Budget
from ossit_client._budget_file import FileStore
from ossit_client._budget_redis import RedisStore
from ossit_sandbox.launcher import SandboxServer

from bench.harness import BenchError, say
from bench.report import Goal, Metric, render_table, write_json
from bench.shared_budget import LIMIT, WINDOW, measure_workers, sharing_metrics

PROCESSES, PER_PROCESS = 3, 50
TOTAL = PROCESSES * PER_PROCESS
TURNS, ROUNDS = 2000, 3  # per store and round, for the cost per request
SECTION = 4  # the rate-limit section of the README's performance table
PASSWORD = "bench-redis-pw"
#: The headers of an ordinary answer: the server counts as many as the log (no placeholders).
HEADERS = {"X-RateLimit-Limit": "1000000", "X-RateLimit-Remaining": "999999"}
HEADERS["X-RateLimit-Reset"] = "3600"


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server on a free loopback port, no persistence; its process and URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("redis-server not found (apt-get install -y redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(workdir), "--requirepass", PASSWORD],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port, password=PASSWORD)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("redis-server did not start") from None
            time.sleep(0.01)
    client.close()
    return process, f"redis://:{PASSWORD}@127.0.0.1:{port}/0"


def per_request_us(budget: Budget) -> float:
    """Microseconds of budget work per request: a turn, its settling with an answer's headers."""
    start = time.perf_counter()
    for _ in range(TURNS):
        token, _waited = budget.take_turn("GET /bench")
        budget.settle(token, HEADERS)
    return (time.perf_counter() - start) / TURNS * 1e6


def budget_cost(workdir: Path, url: str) -> list[Metric]:
    """The cost per request of either store, alternately, median of ``ROUNDS`` rounds."""
    # A limit never spent: the cost of the bookkeeping alone.
    limit, window = 1_000_000, 3600.0
    costs: dict[str, list[float]] = {"file": [], "redis": []}
    for number in range(ROUNDS):
        file_store = FileStore(workdir / f"budget-{number}.json")
        redis_store = RedisStore(url, f"bench-{number}", int(2 * window * 1000))
        try:
            for name, store in (("file", file_store), ("redis", redis_store)):
                budget = Budget(store, limit, window, max_pause=60.0)
                costs[name].append(per_request_us(budget))
        finally:
            file_store.close()
            redis_store.close()
    file_us, redis_us = (statistics.median(costs[name]) for name in ("file", "redis"))
    say(f"budget per request: file {file_us:.0f} us, Redis {redis_us:.0f} us")
    return [
        Metric(
            id="rate_limit.redis_budget_cost_us",
            section=SECTION,
            label="budget bookkeeping per request in Redis (loopback), µs",
            value=redis_us,
            unit="µs",
            goal=Goal("info"),
            detail=f"file: {file_us:.0f} µs; median of {ROUNDS} rounds of {TURNS} turns",
            raw=costs,
        ),
        Metric(
            id="rate_limit.redis_vs_file_budget_cost",
            section=SECTION,
            label="budget bookkeeping per request: Redis / file",
            value=redis_us / file_us,
            unit="ratio",
            goal=Goal("info"),
            detail="take_turn + settle, no HTTP",
            raw={"file_us": file_us, "redis_us": redis_us},
        ),
    ]


def shared_run(workdir: Path, url: str) -> list[Metric]:
    """``PROCESSES`` workers, separate state dirs, one Redis budget: wall / ideal and 429s."""
    with SandboxServer(workdir / "redis.db", rate_limit=LIMIT, rate_window=WINDOW) as server:
        key = server.create_domain("redis budget")
        say(f"{PROCESSES} processes x {PER_PROCESS} requests, {LIMIT} per {WINDOW:g} s in Redis")
        machines = [workdir / f"machine-{number}" for number in range(PROCESSES)]
        measured = measure_workers(server, key, machines, PER_PROCESS, {BUDGET_URL_ENV: url})
    label = f"{PROCESSES} processes sharing one Redis budget ({LIMIT} per {WINDOW:g} s)"
    return sharing_metrics("redis_budget", label, TOTAL, measured)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.redis_budget", description=__doc__)
    parser.add_argument("--output", type=Path, help="JSON file (default: none written)")
    arguments = parser.parse_args(argv)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ossit-bench-redis-") as name:
        workdir = Path(name)
        process, url = start_redis(workdir)
        try:
            metrics = budget_cost(workdir, url) + shared_run(workdir, url)
        finally:
            process.terminate()
            process.wait(timeout=10)
    if arguments.output:
        write_json(
            arguments.output,
            profile="redis-budget",
            started_at=started_at,
            duration_s=time.perf_counter() - start,
            metrics=metrics,
            errors={},
        )
    print(render_table(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
