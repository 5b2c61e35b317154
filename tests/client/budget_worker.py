"""One process of ``test_client_shared_budget``: ``count`` requests through the shared budget.

Run as ``python budget_worker.py BASE_URL STATE_DIR COUNT`` with the domain key in
``OSSIT_TEST_KEY`` (not on the command line, where ``ps`` would show it). It builds its client,
prints ``ready``, waits for a line on stdin (the test's "go", sent once every worker is
ready), sends, and prints its counters as JSON.
"""

from __future__ import annotations

import json
import os
import sys

from ossit_client import OssitClient

LIMIT, WINDOW = 30, 3.0


def main() -> None:
    base_url, state_dir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    key = os.environ["OSSIT_TEST_KEY"]
    with OssitClient(
        key,
        base_url=base_url,
        max_requests_per_hour=LIMIT,
        rate_window=WINDOW,
        state_dir=state_dir,
    ) as client:
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            sys.exit("no go from the test")
        for _ in range(count):
            list(client.statistic_groups.list(limit=1))
        print(json.dumps(client.counters.as_dict()), flush=True)


if __name__ == "__main__":
    main()
