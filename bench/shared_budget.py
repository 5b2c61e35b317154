"""Benchmark: two processes on one key, sharing one request budget, against the fastest schedule.

`uv run python -m bench.shared_budget [--output FILE]` starts a sandbox allowing `LIMIT`
requests per rolling `WINDOW` seconds, then two worker processes (this module with
`--worker`) that each send `PER_PROCESS` requests through one shared budget file. Both start
together (each says "ready", then waits for "go"); the figure is the time from "go" to the
last request answered over the fastest legal schedule (`ideal_seconds`), and the sandbox
counts the 429s it had to send. Moved here from the client tests, which keep only what does
not depend on the machine's speed (no 429, every request counted): see
`tests/client/test_client_shared_budget.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer

from bench import REPO_ROOT
from bench.harness import BenchError, say
from bench.report import Goal, Metric, render_table, write_json

LIMIT, WINDOW = 30, 3.0  # the sandbox's --rate-limit / --rate-window, and the workers' budget
PROCESSES, PER_PROCESS = 2, 100
TOTAL = PROCESSES * PER_PROCESS
SECTION = 4  # the rate-limit section of the README's performance table
KEY_VARIABLE = "OSSIT_BENCH_KEY"  # the key goes by environment, never on a command line


def ideal_seconds(total: int, limit: int, window: float) -> float:
    """The earliest the last of ``total`` requests can be sent under a rolling window.

    A rolling window of ``limit`` per ``window`` means request ``k + limit`` cannot go before
    ``window`` after request ``k``. So with the first ``limit`` sent at once at t = 0, request
    ``k`` (1-based) goes at the earliest at ``floor((k - 1) / limit) * window``, and no
    schedule is faster: the 200th of 30-per-3-s requests goes at 6 * 3 = 18 s. (The fluid
    estimate (200 - 30) / 10 = 17 s ignores that the window only frees slots in whole bursts.)
    """
    return ((total - 1) // limit) * window


assert ideal_seconds(200, 30, 3.0) == 18.0
assert ideal_seconds(30, 30, 3.0) == 0.0
assert ideal_seconds(31, 30, 3.0) == 3.0


def worker(base_url: str, state_dir: str, count: int) -> None:
    """One process: build the client, say ready, wait for go, send, print counters and end."""
    with OssitClient(
        os.environ[KEY_VARIABLE],
        base_url=base_url,
        max_requests_per_hour=LIMIT,
        rate_window=WINDOW,
        state_dir=state_dir,
    ) as client:
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            sys.exit("no go")
        for _ in range(count):
            list(client.statistic_groups.list(limit=1))
        finished_at = time.time()
        print(json.dumps({"finished_at": finished_at, **client.counters.as_dict()}), flush=True)


def measure_workers(
    server: SandboxServer, key: str, state_dirs: list[Path], count: int, env: dict[str, str]
) -> tuple[float, list[dict[str, Any]], dict[str, Any]]:
    """One worker per state dir, all told "go" together: the seconds from "go" to the last
    answer, each worker's counters, and the key's sandbox stats."""
    environment = {**os.environ, **env, KEY_VARIABLE: key}
    command = [sys.executable, "-m", "bench.shared_budget", "--worker", server.base_url]
    workers = [
        subprocess.Popen(
            [*command, str(state_dir), str(count)],
            cwd=REPO_ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for state_dir in state_dirs
    ]
    try:
        for process in workers:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise BenchError("a worker did not start")
        go_at = time.time()
        for process in workers:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=600)[0] for process in workers]
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
    if any(process.returncode != 0 for process in workers):
        raise BenchError(f"a worker failed: {[p.returncode for p in workers]}")
    results = [json.loads(output) for output in outputs]
    elapsed = max(result["finished_at"] for result in results) - go_at
    return elapsed, results, server.stats(key)


def sharing_metrics(
    metric: str, label: str, total: int, measured: tuple[float, list[dict[str, Any]], dict]
) -> list[Metric]:
    """The two figures of processes sharing a budget: wall time / ideal, and 429s."""
    elapsed, results, stats = measured
    ideal = ideal_seconds(total, LIMIT, WINDOW)
    return [
        Metric(
            id=f"rate_limit.{metric}_wall_vs_ideal",
            section=SECTION,
            label=f"{label}: wall time / ideal",
            value=elapsed / ideal,
            unit="ratio",
            goal=Goal("<=", 1.15, "about 1"),
            detail=f"{elapsed:.1f} s vs {ideal:.1f} s = the fastest legal schedule of "
            f"{total} requests; {stats['requests']} made",
            raw={"elapsed_s": elapsed, "ideal_s": ideal, "workers": results},
        ),
        Metric(
            id=f"rate_limit.{metric}_429",
            section=SECTION,
            label=f"{label}: 429 answers",
            value=stats["rate_limited"],
            unit="",
            goal=Goal("==", 0),
            detail="counted by the sandbox",
            raw={"stats": stats},
        ),
    ]


def run(workdir: Path) -> list[Metric]:
    """Measure once; the figures as Metrics (a wall-time ratio and the 429 count)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with SandboxServer(workdir / "shared.db", rate_limit=LIMIT, rate_window=WINDOW) as server:
        key = server.create_domain("shared budget")
        say(f"{PROCESSES} processes x {PER_PROCESS} requests, {LIMIT} per {WINDOW:g} s shared")
        state_dirs = [workdir / "client-state"] * PROCESSES  # one machine: one budget file
        measured = measure_workers(server, key, state_dirs, PER_PROCESS, {})
    label = f"{PROCESSES} processes sharing one key's budget ({LIMIT} per {WINDOW:g} s)"
    return sharing_metrics("shared_budget", label, TOTAL, measured)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.shared_budget", description=__doc__)
    parser.add_argument("--output", type=Path, help="JSON file (default: none written)")
    parser.add_argument("--worker", nargs=3, metavar=("BASE_URL", "STATE_DIR", "COUNT"))
    arguments = parser.parse_args(argv)
    if arguments.worker:
        base_url, state_dir, count = arguments.worker
        worker(base_url, state_dir, int(count))
        return 0
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ossit-bench-shared-") as workdir:
        metrics = run(Path(workdir))
    if arguments.output:
        write_json(
            arguments.output,
            profile="shared-budget",
            started_at=started_at,
            duration_s=time.perf_counter() - start,
            metrics=metrics,
            errors={},
        )
    print(render_table(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
