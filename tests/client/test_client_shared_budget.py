"""Two processes on one key share one budget: every request inside the server's window, no 429.
So do two that spell the server's URL differently (``127.0.0.1`` and ``localhost/``), in the
budget file and in Redis.

Both start at once (each tells the test it is ready, then waits for its "go") and each alone
would send far faster than the server allows, so the sandbox answers 429 unless the two
really keep to one shared budget. How close to the fastest legal schedule they get is a
speed, measured in ``bench`` (``uv run python -m bench.shared_budget``), not asserted here.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ossit_client import BUDGET_URL_ENV
from ossit_sandbox.launcher import SandboxServer
from redis_server import RedisServer

WORKER = Path(__file__).with_name("budget_worker.py")
LIMIT, WINDOW = 30, 3.0  # the sandbox's --rate-limit / --rate-window, and the workers' budget
PROCESSES, PER_PROCESS = 2, 100
TOTAL = PROCESSES * PER_PROCESS


def run_together(argvs: list[list[str]], env: dict[str, str]) -> list[dict[str, Any]]:
    """Start a worker per argv, let them all go at once, and return their counters."""
    workers = [
        subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for argv in argvs
    ]
    try:
        for worker in workers:  # every client built, its budget open
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert [worker.returncode for worker in workers] == [0] * len(workers)
    return [json.loads(output) for output in outputs]


def test_two_processes_share_one_budget_without_a_429(
    sandbox_factory: Callable[..., SandboxServer], state_dir: Path
) -> None:
    server = sandbox_factory(rate_limit=LIMIT, rate_window=WINDOW)
    key = server.create_domain("shared budget")
    env = {**os.environ, "OSSIT_TEST_KEY": key}
    argv = [sys.executable, str(WORKER), server.base_url, str(state_dir), str(PER_PROCESS)]
    results = run_together([argv] * PROCESSES, env)

    stats = server.stats(key)
    assert stats["rate_limited"] == 0  # every request inside the server's rolling window
    assert sum(result["rate_limited"] for result in results) == 0
    assert stats["requests"] == sum(result["requests"] for result in results) >= TOTAL
    # 200 requests at 30 per 3 s: the budget held each process back, not the server
    assert all(result["throttled_seconds"] > 0 for result in results)


@pytest.mark.parametrize("store", ["file", "redis"])
def test_spellings_of_one_server_share_one_budget(
    store: str,
    sandbox_factory: Callable[..., SandboxServer],
    state_dir: Path,
    tmp_path: Path,
) -> None:
    """``http://127.0.0.1:P`` and ``http://localhost:P/`` are one server, so one budget:
    keyed on the normalised server and the domain, not on the URL's text (issue 20)."""
    server = sandbox_factory(rate_limit=LIMIT, rate_window=WINDOW)
    key = server.create_domain(f"two spellings, {store}")
    port = server.base_url.rsplit(":", 1)[1]
    spellings = [f"http://127.0.0.1:{port}", f"http://localhost:{port}/"]
    env = {name: value for name, value in os.environ.items() if name != BUDGET_URL_ENV}
    env["OSSIT_TEST_KEY"] = key
    with contextlib.ExitStack() as stack:
        state_dirs = [state_dir, state_dir]
        if store == "redis":  # one Redis, and each process its own state dir ("machine")
            redis = stack.enter_context(RedisServer(tmp_path / "redis"))
            env[BUDGET_URL_ENV] = redis.url
            state_dirs = [tmp_path / "machine-a", tmp_path / "machine-b"]
        results = run_together(
            [
                [sys.executable, str(WORKER), url, str(directory), str(PER_PROCESS)]
                for url, directory in zip(spellings, state_dirs, strict=True)
            ],
            env,
        )
    stats = server.stats(key)
    assert stats["rate_limited"] == 0  # the two spellings never sent outside one window
    assert sum(result["rate_limited"] for result in results) == 0
    assert stats["requests"] == sum(result["requests"] for result in results) >= TOTAL
    if store == "file":
        assert len(list(state_dir.glob("budget-*.json"))) == 1
    else:
        assert not list(tmp_path.glob("machine-*/budget-*.json"))
