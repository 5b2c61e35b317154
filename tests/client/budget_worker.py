"""One process of ``test_client_shared_budget``: ``count`` requests through the shared budget.

Run as ``python budget_worker.py BASE_URL STATE_DIR COUNT START_AT`` with the domain key in
``OSSIT_TEST_KEY`` (not on the command line, where ``ps`` would show it). It builds its client,
sleeps until the common wall-clock START_AT, sends, and prints its counters and finish time.
"""

from __future__ import annotations

import json
import os
import sys
import time

from ossit_client import OssitClient

LIMIT, WINDOW = 30, 3.0


def main() -> None:
    base_url, state_dir, count, start_at = (
        sys.argv[1],
        sys.argv[2],
        int(sys.argv[3]),
        float(sys.argv[4]),
    )
    key = os.environ["OSSIT_TEST_KEY"]
    with OssitClient(
        key,
        base_url=base_url,
        max_requests_per_hour=LIMIT,
        rate_window=WINDOW,
        state_dir=state_dir,
    ) as client:
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(count):
            list(client.statistic_groups.list(limit=1))
        finished_at = time.time()
        print(json.dumps({"finished_at": finished_at, **client.counters.as_dict()}))


if __name__ == "__main__":
    main()
