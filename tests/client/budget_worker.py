"""One process of the shared-budget tests: ``count`` requests through the shared budget.

Run as ``python budget_worker.py BASE_URL STATE_DIR COUNT [LIMIT WINDOW ROUNDS]`` with the
domain key in ``OSSIT_TEST_KEY`` (not on the command line, where ``ps`` would show it). It
builds its client, prints ``ready``, then for each round (one by default) waits for a line
on stdin (the test's "go", sent once every worker is ready), sends ``count`` requests and
prints its counters so far as JSON: between rounds the test can change the world (flush
the Redis holding the budget, say).
"""

from __future__ import annotations

import json
import os
import sys

from ossit_client import OssitClient

LIMIT, WINDOW = 30, 3.0


def main() -> None:
    base_url, state_dir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else LIMIT
    window = float(sys.argv[5]) if len(sys.argv) > 5 else WINDOW
    rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    key = os.environ["OSSIT_TEST_KEY"]
    with OssitClient(
        key,
        base_url=base_url,
        max_requests_per_hour=limit,
        rate_window=window,
        state_dir=state_dir,
    ) as client:
        print("ready", flush=True)
        for _ in range(rounds):
            if sys.stdin.readline().strip() != "go":
                sys.exit("no go from the test")
            for _ in range(count):
                list(client.statistic_groups.list(limit=1))
            print(json.dumps(client.counters.as_dict()), flush=True)


if __name__ == "__main__":
    main()
