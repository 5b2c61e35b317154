"""Benchmark 2 (with target parts of 3 and 5): target-ossit against a plain batch loader.

Both load the same Singer file of points into an empty domain of a sandbox of
their own (a fresh database each time, so no load runs against a bigger index
than another), alternately, each keeping its best time. The small file gives
the second memory point, and its load is checked point for point.
"""

from __future__ import annotations

import math
from pathlib import Path

from bench.environment import Environment, read_back
from bench.harness import (
    BenchError,
    Run,
    console_script,
    python_module,
    run_measured,
    say,
    warm_up,
)
from bench.profiles import DomainShape
from bench.report import Goal, Metric, memory_growth
from bench.singer_file import write_points_file

NAMES = {"baseline": "plain batch loader", "target": "target-ossit"}


def _program(subject: str) -> list[str]:
    return {
        "baseline": python_module("bench.baseline_target"),
        "target": [console_script("target-ossit")],
    }[subject]


def _load(env: Environment, subject: str, points_file: Path, attempt: str) -> tuple[Run, int]:
    """Load `points_file` into a new empty domain; answer the run and the requests it made."""
    program = _program(subject)
    with env.fresh_server(f"load-{attempt}") as server:
        key = server.create_domain(f"load-{attempt}", time_zone="UTC")
        config = env.config_file(f"load-{attempt}", server, key)
        run = run_measured(
            [*program, "--config", str(config)],
            stdin=points_file,
            log=env.path(f"logs/load-{attempt}.log"),
        )
        return run, server.stats(key)["requests"]


def _checked_small_load(env: Environment, shape: DomainShape) -> Run:
    """target-ossit loads the small file; the domain then holds exactly those points."""
    points_file = write_points_file(env.path("points-small.singer"), shape)
    say(f"loading {shape.points:,} points with target-ossit")
    with env.fresh_server("load-small") as server:
        key = server.create_domain("load-small", time_zone="UTC")
        config = env.config_file("load-small", server, key)
        run = run_measured(
            [console_script("target-ossit"), "--config", str(config)],
            stdin=points_file,
            log=env.path("logs/load-small.log"),
        )
        loaded = read_back(server, key).counts["points"]
    if loaded != shape.points:
        raise BenchError(f"target-ossit loaded {loaded:,} of {shape.points:,} points")
    return run


def run(env: Environment) -> list[Metric]:
    """Measure, then state each figure as a ratio with its goal."""
    shape, repeats = env.profile.big, env.profile.target_repeats
    say(f"writing a Singer file of {shape.points:,} points")
    points_file = write_points_file(env.path("points-big.singer"), shape)
    for subject in NAMES:
        warm_up(_program(subject), env.path(f"logs/warm-up-{subject}.log"))
    best: dict[str, Run] = {}
    target_requests = 0
    target_rss_mb = 0.0
    for attempt, subject in enumerate(["baseline", "target"] * repeats):
        say(f"loading {shape.points:,} points with the {NAMES[subject]}")
        load, requests = _load(env, subject, points_file, f"{subject}-{attempt}")
        if subject not in best or load.wall_s < best[subject].wall_s:
            best[subject] = load
        if subject == "target":
            target_requests = max(target_requests, requests)
            target_rss_mb = max(target_rss_mb, load.max_rss_mb)
    points_file.unlink()
    small_run = _checked_small_load(env, env.profile.small)
    rate = {subject: shape.points / load.wall_s for subject, load in best.items()}
    minimum = math.ceil(shape.points / 1000)
    small = env.profile.small.points
    return [
        Metric(
            id="target.throughput_vs_baseline",
            section=2,
            label="target-ossit load vs plain orjson + 1000-point batches",
            value=rate["target"] / rate["baseline"],
            unit="ratio",
            goal=Goal(">=", 0.6),
            detail=f"{rate['target']:,.0f} vs {rate['baseline']:,.0f} points/s "
            f"({shape.points:,} points, best of {repeats})",
            raw={"points": shape.points, "points_per_s": rate},
        ),
        Metric(
            id="requests.target_load",
            section=3,
            label="target-ossit load: requests / minimum",
            value=target_requests / minimum,
            unit="ratio",
            goal=Goal("<=", 1.01, "about 1"),
            detail=f"{target_requests:,} requests, minimum {minimum:,} (ceil(points/1000))",
            raw={"requests": target_requests, "minimum": minimum},
        ),
        memory_growth(
            "memory.target_growth",
            5,
            f"target-ossit peak RSS at {shape.points:,} vs {small:,} points",
            target_rss_mb,
            small_run.max_rss_mb,
            "about 1: bounded by the batch",
        ),
    ]
