"""Benchmark 2 (with target parts of 3 and 5): target-ossit against a plain batch loader.

Both load the same Singer file of points into an empty domain of a sandbox of
their own (a fresh database each time, so no load runs against a bigger index
than another), alternately, each keeping its best time. The small file gives
the second memory point, and its load is checked point for point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from bench.environment import Environment
from bench.harness import (
    Alternation,
    BenchError,
    Run,
    console_script,
    python_module,
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


def _command(subject: str) -> Callable[[Path], list[str]]:
    """The command line of `subject` for a given config file."""
    return lambda config: [*_program(subject), "--config", str(config)]


def _checked_small_load(env: Environment, shape: DomainShape) -> Run:
    """target-ossit loads the small file; the domain then holds exactly those points."""
    points_file = write_points_file(env.path("points-small.singer"), shape)
    say(f"loading {shape.points:,} points with target-ossit")
    small = env.measured_load("load-small", _command("target"), points_file, count=True)
    loaded = small.counts["points"]
    if loaded != shape.points:
        raise BenchError(f"target-ossit loaded {loaded:,} of {shape.points:,} points")
    return small.run


def run(env: Environment) -> list[Metric]:
    """Measure, then state each figure as a ratio with its goal."""
    shape, repeats = env.profile.big, env.profile.target_repeats
    say(f"writing a Singer file of {shape.points:,} points")
    points_file = write_points_file(env.path("points-big.singer"), shape)
    for subject in NAMES:
        warm_up(_program(subject), env.path(f"logs/warm-up-{subject}.log"))
    loads = Alternation()
    for attempt, subject in enumerate(["baseline", "target"] * repeats):
        say(f"loading {shape.points:,} points with the {NAMES[subject]}")
        load = env.measured_load(f"load-{subject}-{attempt}", _command(subject), points_file)
        loads.add(subject, load.run, load.requests)
    target_requests, target_rss_mb = loads.requests["target"], loads.peak_rss_mb["target"]
    points_file.unlink()
    small_run = _checked_small_load(env, env.profile.small)
    rate = loads.rates(shape.points)
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
