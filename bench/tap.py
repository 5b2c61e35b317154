"""Benchmark 1 (with tap parts of 3 and 5): tap-ossit against a plain loop and a default SDK tap.

Every tap makes a full sync of the big source domain to /dev/null; subject and
baseline run alternately and each keeps its best time. The sandbox counts the
requests of each run. The small domain then gives the second memory point and
the incremental sync (with the full sync's final state, nothing changed).
"""

from __future__ import annotations

from pathlib import Path

from bench.environment import Environment, Source, min_requests
from bench.harness import (
    Alternation,
    BenchError,
    Run,
    console_script,
    python_module,
    run_measured,
    say,
    warm_up,
    write_json_file,
)
from bench.report import Goal, Metric, memory_growth
from bench.singer_file import read_output

NAMES = {"baseline": "plain loop", "tap": "tap-ossit", "sdk": "default SDK tap"}


def _argv(subject: str, config: Path) -> list[str]:
    program = {
        "baseline": python_module("bench.baseline_tap"),
        "tap": [console_script("tap-ossit")],
        "sdk": python_module("bench.sdk_rest_tap"),
    }[subject]
    return [*program, "--config", str(config)]


def _full_syncs(env: Environment, source: Source) -> Alternation:
    """Each subject's best run, requests per sync and highest peak RSS."""
    config = env.config_file("tap-big", source.server, source.key)
    profile = env.profile
    order = ["baseline", "tap"] * profile.tap_repeats + ["sdk"] * profile.sdk_repeats
    for subject in NAMES:
        warm_up(_argv(subject, config)[:-2], env.path(f"logs/warm-up-{subject}.log"))
    syncs = Alternation()
    for attempt, subject in enumerate(order):
        say(f"full sync of {source.records:,} records by the {NAMES[subject]}")
        run, requests = source.measured_read(
            _argv(subject, config),
            who=NAMES[subject],
            log=env.path(f"logs/{subject}-{attempt}.log"),
        )
        syncs.add(subject, run, requests)
    return syncs


def _small_syncs(env: Environment, source: Source) -> tuple[Run, int]:
    """A full sync of the small domain (checked record for record), then an incremental one."""
    config = env.config_file("tap-small", source.server, source.key)
    tap = console_script("tap-ossit")
    output = env.path("tap-small.singer")
    say(f"full sync of {source.records:,} records by tap-ossit, then an incremental one")
    full = run_measured(
        [tap, "--config", str(config)], stdout=output, log=env.path("logs/small.log")
    )
    counts, state = read_output(output)
    if counts != source.counts:
        raise BenchError(f"tap-ossit emitted {counts}, the domain holds {source.counts}")
    if state is None:
        raise BenchError("tap-ossit emitted no STATE message")
    state_file = write_json_file(env.path("tap-small.state.json"), state)
    source.reset()
    incremental_output = env.path("tap-incremental.singer")
    run_measured(
        [tap, "--config", str(config), "--state", str(state_file)],
        stdout=incremental_output,
        log=env.path("logs/incremental.log"),
    )
    new_counts, _ = read_output(incremental_output)
    if new_counts:
        raise BenchError(f"an incremental sync of an unchanged domain emitted {new_counts}")
    return full, source.requests()["requests"]


def run(env: Environment) -> list[Metric]:
    """Measure, then state each figure as a ratio with its goal."""
    big, small = env.big, env.small
    syncs = _full_syncs(env, big)
    full_requests, big_rss_mb = syncs.requests["tap"], syncs.peak_rss_mb["tap"]
    small_run, incremental_requests = _small_syncs(env, small)
    rate = syncs.rates(big.records)
    per_run = {subject: f"{rate[subject]:,.0f} rec/s" for subject in rate}
    repeats = f"{big.records:,} records, best of {env.profile.tap_repeats}"
    streams = len(big.counts)
    return [
        Metric(
            id="tap.throughput_vs_baseline",
            section=1,
            label="tap-ossit full sync vs plain requests+orjson loop",
            value=rate["tap"] / rate["baseline"],
            unit="ratio",
            goal=Goal(">=", 0.6),
            detail=f"{per_run['tap']} vs {per_run['baseline']} ({repeats})",
            raw={"records": big.records, "records_per_s": rate},
        ),
        Metric(
            id="tap.throughput_vs_sdk",
            section=1,
            label="tap-ossit full sync vs default singer-sdk REST tap",
            value=rate["tap"] / rate["sdk"],
            unit="ratio",
            goal=Goal("info", note="the gain over the usual way"),
            detail=f"{per_run['tap']} vs {per_run['sdk']}",
            raw={"records_per_s": rate},
        ),
        Metric(
            id="tap.sdk_vs_baseline",
            section=1,
            label="default singer-sdk REST tap vs plain loop",
            value=rate["sdk"] / rate["baseline"],
            unit="ratio",
            goal=Goal("info", note="issue 4 expects about 0.25"),
            detail=f"{per_run['sdk']} vs {per_run['baseline']}",
            raw={"records_per_s": rate},
        ),
        Metric(
            id="requests.tap_full",
            section=3,
            label="tap-ossit full sync: requests / minimum",
            value=full_requests / min_requests(big.counts),
            unit="ratio",
            goal=Goal("<=", 1.01, "about 1"),
            detail=f"{full_requests:,} requests, minimum {min_requests(big.counts):,} "
            f"(ceil(records/1000) for each of {streams} streams)",
            raw={"requests": full_requests, "minimum": min_requests(big.counts)},
        ),
        Metric(
            id="requests.tap_incremental",
            section=3,
            label="tap-ossit incremental sync, nothing changed: requests / minimum",
            value=incremental_requests / streams,
            unit="ratio",
            goal=Goal("==", 1, "one per stream"),
            detail=f"{incremental_requests} requests for {streams} streams, 0 records",
            raw={"requests": incremental_requests, "minimum": streams},
        ),
        memory_growth(
            "memory.tap_growth",
            5,
            f"tap-ossit peak RSS at {big.records:,} vs {small.records:,} records",
            big_rss_mb,
            small_run.max_rss_mb,
            "about 1: flat",
        ),
        Metric(
            id="memory.tap_peak",
            section=5,
            label=f"tap-ossit peak RSS at {big.records:,} records",
            value=big_rss_mb,
            unit="MB",
            goal=Goal("<=", 200),
            detail="high-water mark (VmHWM) of the tap process",
            raw={"mb": big_rss_mb},
        ),
    ]
