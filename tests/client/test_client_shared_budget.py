"""Two processes on one key share one budget: every request inside the server's window, no 429.

Both start at once (each tells the test it is ready, then waits for its "go") and each alone
would send far faster than the server allows, so the sandbox answers 429 unless the two
really keep to one shared budget. How close to the fastest legal schedule they get is a
speed, measured in ``bench`` (``uv run python -m bench.shared_budget``), not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ossit_sandbox.launcher import SandboxServer

WORKER = Path(__file__).with_name("budget_worker.py")
LIMIT, WINDOW = 30, 3.0  # the sandbox's --rate-limit / --rate-window, and the workers' budget
PROCESSES, PER_PROCESS = 2, 100
TOTAL = PROCESSES * PER_PROCESS


def test_two_processes_share_one_budget_without_a_429(
    sandbox_factory: Callable[..., SandboxServer], state_dir: Path
) -> None:
    server = sandbox_factory(rate_limit=LIMIT, rate_window=WINDOW)
    key = server.create_domain("shared budget")
    env = {**os.environ, "OSSIT_TEST_KEY": key}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), server.base_url, str(state_dir), str(PER_PROCESS)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for worker in workers:  # every client built, its budget file open
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
    assert [worker.returncode for worker in workers] == [0] * PROCESSES
    results = [json.loads(output) for output in outputs]

    stats = server.stats(key)
    assert stats["rate_limited"] == 0  # every request inside the server's rolling window
    assert sum(result["rate_limited"] for result in results) == 0
    assert stats["requests"] == sum(result["requests"] for result in results) >= TOTAL
    # 200 requests at 30 per 3 s: the budget held each process back, not the server
    assert all(result["throttled_seconds"] > 0 for result in results)
