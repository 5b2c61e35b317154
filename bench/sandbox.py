"""Benchmark 6: the sandbox itself (list rate, batch-write rate, memory, generation).

The list rate and server memory come from the plain page-by-page read of each
source domain (limit 1000, see `environment.read_back`); the write rate posts
pre-encoded 1000-point batches to an empty domain, so only the server is timed.
"""

from __future__ import annotations

import time

from bench.baseline_tap import session_for
from bench.environment import Environment
from bench.harness import say
from bench.report import Goal, Metric, memory_growth
from bench.singer_file import batch_bodies


def _write_rate(env: Environment) -> tuple[int, float]:
    """Points written per second by `POST /v1/api/points/batch`, 1000 at a time."""
    bodies = batch_bodies(env.profile.big, env.profile.write_batches)
    with env.fresh_server("writes") as server:
        key = server.create_domain("writes", time_zone="UTC")
        url = f"{server.base_url}/v1/api/points/batch"
        say(f"posting {len(bodies)} batches of 1000 points")
        with session_for(key) as session:
            session.headers["Content-Type"] = "application/json"
            start = time.perf_counter()
            for body in bodies:
                session.post(url, data=body, timeout=120).raise_for_status()
            elapsed = time.perf_counter() - start
    return len(bodies) * 1000, elapsed


def run(env: Environment) -> list[Metric]:
    """Measure, then state each figure against its goal."""
    big, small = env.big, env.small
    points = big.counts["points"]
    list_rate = points / big.read_back.points_s
    written, write_s = _write_rate(env)
    big_rss, small_rss = big.read_back.server_peak_rss_mb, small.read_back.server_peak_rss_mb
    return [
        Metric(
            id="sandbox.list_rate",
            section=6,
            label="sandbox list rate (GET /v1/api/points, limit 1000)",
            value=list_rate,
            unit="points/s",
            goal=Goal(">=", 50_000),
            detail=f"{points:,} points in {big.read_back.points_s:.1f} s, requests + orjson",
            raw={"points": points, "seconds": big.read_back.points_s},
        ),
        Metric(
            id="sandbox.write_rate",
            section=6,
            label="sandbox batch-write rate (POST /v1/api/points/batch, 1000 points)",
            value=written / write_s,
            unit="points/s",
            goal=Goal(">=", 20_000),
            detail=f"{written:,} new points in {write_s:.1f} s, bodies encoded beforehand",
            raw={"points": written, "seconds": write_s},
        ),
        memory_growth(
            "sandbox.rss_growth",
            6,
            f"sandbox peak RSS listing {big.records:,} vs {small.records:,} records",
            big_rss,
            small_rss,
            "about 1: flat",
            how=" (server process, sampled)",
        ),
        Metric(
            id="sandbox.generate_rate",
            section=6,
            label=f"sandbox generate ({big.shape.points:,} points)",
            value=big.shape.points / big.generate_s,
            unit="points/s",
            goal=Goal(">=", 1_000_000 / 60, "1M in under a minute"),
            detail=f"{big.generate_s:.1f} s",
            raw={"points": big.shape.points, "seconds": big.generate_s},
        ),
    ]
