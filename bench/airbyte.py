"""Benchmark 7 (with parts of 1, 2, 3 and 5): the Airbyte connectors against the Singer ones.

source-ossit and destination-ossit stand on the same core as tap-ossit and
target-ossit, so the Airbyte protocol should cost little: each pair is measured
on the same work in the same run, alternately, each keeping its best time.
source-ossit and tap-ossit make a full incremental read of the big source domain
(every stream, into a file each, the same way), counted by the sandbox; then
destination-ossit loads source-ossit's file and target-ossit tap-ossit's, the same
records, each into an empty domain of a fresh sandbox, read back afterwards: each
must hold its input's live records (a tombstone of a record the domain never had
leaves nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.environment import Environment, Load, Source, min_requests
from bench.harness import (
    Alternation,
    BenchError,
    console_script,
    run_measured,
    say,
    warm_up,
    write_json_file,
)
from bench.report import Goal, Metric

READERS = {"tap": "tap-ossit", "source": "source-ossit"}
LOADERS = {"target": "target-ossit", "destination": "destination-ossit"}
OUTPUTS = {"tap": "airbyte-read.singer", "source": "airbyte-read.airbyte"}
"""Each reader's output file: the input of its loader."""


def _configured_catalog(env: Environment, config: Path) -> Path:
    """source-ossit's discovered catalog, every stream incremental and upserted by `id`.

    `append_dedup` is how an Airbyte user would configure it (the destination treats
    it as `append`: both upsert by natural key), so that is what is measured.
    """
    run_measured(
        [console_script("source-ossit"), "discover", "--config", str(config)],
        stdout=env.path("airbyte-discover.jsonl"),
        log=env.path("logs/airbyte-discover.log"),
    )
    catalog: dict[str, Any] | None = None
    for line in env.path("airbyte-discover.jsonl").read_bytes().splitlines():
        message = orjson.loads(line)
        if message["type"] == "CATALOG":
            catalog = message["catalog"]
    if catalog is None:
        raise BenchError("source-ossit discover printed no CATALOG message")
    streams = [
        {
            "stream": stream,
            "sync_mode": "incremental",
            "destination_sync_mode": "append_dedup",
            "cursor_field": ["updated_at"],
            "primary_key": [["id"]],
        }
        for stream in catalog["streams"]
    ]
    return write_json_file(env.path("airbyte-catalog.json"), {"streams": streams})


@dataclass(frozen=True)
class Output:
    """What a reader emitted: RECORD counts per stream, all of them and the live ones."""

    counts: dict[str, int]
    live: dict[str, int]
    """Records without `deleted_at`: what a load into an empty domain leaves in it, since a
    tombstone of a record the domain never had deletes nothing."""


def _read_output(path: Path) -> Output:
    """Count the RECORD messages of a Singer or an Airbyte output (other messages skipped)."""
    counts: dict[str, int] = {}
    live: dict[str, int] = {}
    with path.open("rb") as lines:
        for line in lines:
            message = orjson.loads(line)
            if message["type"] != "RECORD":
                continue
            if "data" in message["record"]:  # Airbyte: {"record": {"stream", "data", ...}}
                stream, data = message["record"]["stream"], message["record"]["data"]
            else:  # Singer: {"stream", "record", ...}
                stream, data = message["stream"], message["record"]
            counts[stream] = counts.get(stream, 0) + 1
            if data.get("deleted_at") is None:
                live[stream] = live.get(stream, 0) + 1
    return Output(counts=counts, live=live)


def _reads(
    env: Environment, source: Source, catalog: Path
) -> tuple[Alternation, dict[str, Output]]:
    """Both readers alternately on the big domain; each one's last output is checked whole."""
    config = env.config_file("airbyte-read", source.server, source.key)
    argv = {
        "tap": [console_script("tap-ossit"), "--config", str(config)],
        "source": [
            console_script("source-ossit"),
            "read",
            "--config",
            str(config),
            "--catalog",
            str(catalog),
        ],
    }
    for subject in READERS:
        warm_up(argv[subject][:1], env.path(f"logs/warm-up-{subject}.log"))
    reads = Alternation()
    for attempt, subject in enumerate(["tap", "source"] * env.profile.tap_repeats):
        say(f"full sync of {source.records:,} records by {READERS[subject]}")
        run, requests = source.measured_read(
            argv[subject],
            who=READERS[subject],
            log=env.path(f"logs/airbyte-{subject}-{attempt}.log"),
            stdout=env.path(OUTPUTS[subject]),
        )
        reads.add(subject, run, requests)
    outputs = {subject: _read_output(env.path(OUTPUTS[subject])) for subject in READERS}
    for subject, output in outputs.items():
        if output.counts != source.counts:
            raise BenchError(
                f"{READERS[subject]} emitted {output.counts}, the domain holds {source.counts}"
            )
    return reads, outputs


def _loads(
    env: Environment, source: Source, catalog: Path, outputs: dict[str, Output]
) -> Alternation:
    """Both loaders alternately, each on its reader's output; every loaded domain is checked."""
    program = {
        "target": [console_script("target-ossit")],
        "destination": [console_script("destination-ossit"), "write"],
    }
    after = {"target": [], "destination": ["--catalog", str(catalog)]}

    def command(subject: str) -> Callable[[Path], list[str]]:
        return lambda config: [*program[subject], "--config", str(config), *after[subject]]

    for subject in LOADERS:
        warm_up(program[subject][:1], env.path(f"logs/warm-up-{subject}.log"))
    inputs = {"target": env.path(OUTPUTS["tap"]), "destination": env.path(OUTPUTS["source"])}
    expected = {"target": outputs["tap"].live, "destination": outputs["source"].live}
    loads = Alternation()
    for attempt, subject in enumerate(["target", "destination"] * env.profile.target_repeats):
        say(f"loading {source.records:,} records with {LOADERS[subject]}")
        name = f"airbyte-load-{subject}-{attempt}"
        load: Load = env.measured_load(name, command(subject), inputs[subject], count=True)
        if load.counts != expected[subject]:
            raise BenchError(
                f"{LOADERS[subject]} left {load.counts} in the domain, "
                f"its input holds {expected[subject]} live records"
            )
        loads.add(subject, load.run, load.requests)
    for path in inputs.values():
        path.unlink()
    return loads


def _requests_metric(
    id: str, label: str, requests: dict[str, int], subject: str, baseline: str, names: str
) -> Metric:
    """`subject`'s requests over `baseline`'s: the same work should cost the same requests."""
    return Metric(
        id=id,
        section=3,
        label=label,
        value=requests[subject] / requests[baseline],
        unit="ratio",
        goal=Goal("==", 1, "equal"),
        detail=f"{requests[subject]:,} vs {requests[baseline]:,} requests ({names})",
        raw={"requests": requests, "equal": requests[subject] == requests[baseline]},
    )


def _memory_metric(
    id: str, label: str, peaks: dict[str, float], subject: str, baseline: str
) -> Metric:
    """`subject`'s peak RSS over `baseline`'s, both shown: the protocol's memory cost."""
    return Metric(
        id=id,
        section=5,
        label=label,
        value=peaks[subject] / peaks[baseline],
        unit="ratio",
        goal=Goal("info", note="about 1: the same core"),
        detail=f"{peaks[subject]:.0f} MB vs {peaks[baseline]:.0f} MB (VmHWM, highest of all runs)",
        raw={"peak_rss_mb": peaks},
    )


def run(env: Environment) -> list[Metric]:
    """Measure, then state each figure as a ratio with its goal."""
    big = env.big
    catalog = _configured_catalog(env, env.config_file("airbyte-discover", big.server, big.key))
    reads, outputs = _reads(env, big, catalog)
    loads = _loads(env, big, catalog, outputs)
    read_rate, load_rate = reads.rates(big.records), loads.rates(big.records)
    minimum = min_requests(big.counts)
    return [
        Metric(
            id="airbyte.source_vs_tap",
            section=1,
            label="source-ossit full incremental read vs tap-ossit",
            value=read_rate["source"] / read_rate["tap"],
            unit="ratio",
            goal=Goal(">=", 0.8),
            detail=f"{read_rate['source']:,.0f} vs {read_rate['tap']:,.0f} rec/s "
            f"({big.records:,} records into a file, best of {env.profile.tap_repeats})",
            raw={"records": big.records, "records_per_s": read_rate},
        ),
        Metric(
            id="airbyte.destination_vs_target",
            section=2,
            label="destination-ossit load vs target-ossit (same records, every stream)",
            value=load_rate["destination"] / load_rate["target"],
            unit="ratio",
            goal=Goal(">=", 0.8),
            detail=f"{load_rate['destination']:,.0f} vs {load_rate['target']:,.0f} rec/s "
            f"({big.records:,} records, best of {env.profile.target_repeats})",
            raw={"records": big.records, "records_per_s": load_rate},
        ),
        _requests_metric(
            "requests.source_vs_tap",
            "source-ossit full read: requests / tap-ossit's",
            reads.requests,
            "source",
            "tap",
            f"minimum {minimum:,}, one per page",
        ),
        _requests_metric(
            "requests.destination_vs_target",
            "destination-ossit load: requests / target-ossit's",
            loads.requests,
            "destination",
            "target",
            f"{big.records:,} records of {len(big.counts)} streams",
        ),
        _memory_metric(
            "memory.source_vs_tap",
            f"source-ossit peak RSS vs tap-ossit's, reading {big.records:,} records",
            reads.peak_rss_mb,
            "source",
            "tap",
        ),
        _memory_metric(
            "memory.destination_vs_target",
            f"destination-ossit peak RSS vs target-ossit's, loading {big.records:,} records",
            loads.peak_rss_mb,
            "destination",
            "target",
        ),
    ]
