"""Benchmark 4: a tap-ossit sync that needs several windows of a compressed rate budget.

The sandbox allows `limit` requests per rolling `window`; the tap is told the
same budget (as requests per hour) and a small page size, so the sync needs
several windows. Ideal wall time = the fewest requests the sync allows /
(limit / window); the sandbox counts the 429s it had to send.
"""

from __future__ import annotations

import time

from bench.environment import Environment, min_requests, read_back
from bench.harness import BenchError, console_script, run_measured, say
from bench.report import Goal, Metric
from bench.singer_file import read_output


def run(env: Environment) -> list[Metric]:
    """Measure, then state each figure as a ratio with its goal."""
    case = env.profile.rate_limit
    server = env.start_server("limited", rate_limit=case.limit, rate_window=case.window_s)
    key = server.create_domain("limited", time_zone="UTC")
    server.generate(
        key,
        groups=case.shape.groups,
        statistics=case.shape.statistics,
        days=case.shape.days,
        intervals=case.shape.intervals,
        seed=1,
    )
    server.reset_stats(key)
    budget = round(case.limit * 3600 / case.window_s)
    config = env.config_file(
        "limited", server, key, page_size=case.page_size, max_requests_per_hour=budget
    )
    output = env.path("limited.singer")
    say(f"tap-ossit under {case.limit} requests per {case.window_s:g} s, pages of {case.page_size}")
    sync = run_measured(
        [console_script("tap-ossit"), "--config", str(config)],
        stdout=output,
        log=env.path("logs/limited.log"),
    )
    stats = server.stats(key)
    emitted, _ = read_output(output)
    time.sleep(case.window_s)  # let the budget refill before counting what the domain holds
    counts = read_back(server, key).counts
    if emitted != {stream: count for stream, count in counts.items() if count}:
        raise BenchError(f"tap-ossit emitted {emitted} under the limit, the domain holds {counts}")
    fewest = min_requests(counts, case.page_size)
    ideal_s = fewest / (case.limit / case.window_s)
    windows = f"{case.limit} per {case.window_s:g} s"
    return [
        Metric(
            id="rate_limit.wall_vs_ideal",
            section=4,
            label=f"rate-limited sync ({windows}): wall time / ideal",
            value=sync.wall_s / ideal_s,
            unit="ratio",
            goal=Goal("<=", 1.15, "about 1"),
            detail=f"{sync.wall_s:.1f} s vs {ideal_s:.1f} s = {fewest} requests at "
            f"{case.limit / case.window_s:g}/s; {stats['requests']} made",
            raw={"wall_s": sync.wall_s, "ideal_s": ideal_s, "requests": stats["requests"]},
        ),
        Metric(
            id="rate_limit.responses_429",
            section=4,
            label=f"rate-limited sync ({windows}): 429 answers",
            value=stats["rate_limited"],
            unit="",
            goal=Goal("==", 0),
            detail="counted by the sandbox",
            raw={"stats": stats},
        ),
    ]
