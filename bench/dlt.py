"""ossit-dlt against the Singer pipeline and dlt's generic REST source (``python -m bench.dlt``).

Three comparisons on one generated domain of a sandbox of its own, each program a process
of its own (wall time and peak RSS of its whole process tree, as ``bench.harness`` does):

- reading into a local DuckDB: ``ossit_source`` through dlt, against
  ``meltano run tap-ossit target-duckdb`` (this repository's project), full then
  incremental, and dlt's generic ``rest_api`` source configured for the same endpoints
  (cursor pagination, bearer key, ``updated_since``): requests, rows loaded, wall time;
- loading: ``ossit_destination`` loading the points of a Singer file through dlt, against
  ``target-ossit`` loading that file, each into an empty domain: points/s and requests.

Not part of ``python -m bench all`` (minutes at 1M, and Meltano's environments): run it
alone, e.g. ``uv run python -m bench.dlt --points 100000``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
from ossit_sandbox.launcher import SandboxServer

from bench.environment import UNBOUNDED_RATE, min_requests
from bench.harness import Run, console_script, run_measured, say, write_json_file
from bench.profiles import DomainShape
from bench.report import Goal, Metric, render_table
from bench.singer_file import write_points_file

KINDS = ("statistic_groups", "statistics", "points", "intervals")
ENDPOINTS = {
    "statistic_groups": "statistic-groups",
    "statistics": "statistics",
    "points": "points",
    "intervals": "intervals",
}
NO_TELEMETRY = {"RUNTIME__DLTHUB_TELEMETRY": "false"}
RUN_TIMEOUT_S = 3 * 3600.0
"""Each measured program's limit: a 1M-record dlt read (normalize is Python, per row) takes
longer on a loaded 2-core machine than the harness's 15-minute default."""


# -- the programs measured (each run as `python -m bench.dlt <program> <config.json>`) --------


def _pipeline(config: dict[str, Any], destination: Any) -> Any:
    import dlt

    return dlt.pipeline(
        config["name"],
        destination=destination,
        dataset_name="ossit",
        pipelines_dir=config["pipelines_dir"],
    )


def _report(pipeline: Any, out: str) -> None:
    counts = pipeline.last_trace.last_normalize_info.row_counts
    steps = {step.step: (step.finished_at - step.started_at).total_seconds()
             for step in pipeline.last_trace.steps}  # fmt: skip
    rows = {table: n for table, n in counts.items() if not table.startswith("_dlt")}
    Path(out).write_bytes(orjson.dumps({"rows": rows, "steps": steps}))


def source_program(config: dict[str, Any], out: str) -> None:
    """ossit_source into DuckDB."""
    import dlt
    from ossit_dlt import ossit_source

    pipeline = _pipeline(config, dlt.destinations.duckdb(config["warehouse"]))
    pipeline.run(ossit_source(**config["settings"]))
    _report(pipeline, out)


def rest_api_program(config: dict[str, Any], out: str) -> None:
    """dlt's generic rest_api source, configured for the same endpoints, into DuckDB."""
    import dlt
    from dlt.sources.rest_api import rest_api_source

    settings = config["settings"]
    resources = [
        {
            "name": kind,
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {
                "path": ENDPOINTS[kind],
                "params": {
                    "limit": 1000,
                    "include_deleted": "true",
                    "updated_since": {
                        "type": "incremental",
                        "cursor_path": "updated_at",
                        "initial_value": "1970-01-01T00:00:00.000000Z",
                    },
                },
            },
        }
        for kind in KINDS
    ]
    source = rest_api_source(
        {
            "client": {
                "base_url": f"{settings['base_url']}/v1/api/",
                "auth": {"type": "bearer", "token": settings["domain_key"]},
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "next_cursor",
                    "cursor_param": "cursor",
                },
            },
            "resource_defaults": {"endpoint": {"data_selector": "data"}},
            "resources": resources,
        },
        max_table_nesting=0,
    )
    pipeline = _pipeline(config, dlt.destinations.duckdb(config["warehouse"]))
    pipeline.run(source)
    _report(pipeline, out)


def destination_program(config: dict[str, Any], out: str) -> None:
    """The points of a Singer file through dlt into ossit_destination."""
    import dlt
    from ossit_dlt import ossit_destination

    def points() -> Any:
        with open(config["input"], "rb") as lines:
            for line in lines:
                message = orjson.loads(line)
                if message["type"] == "RECORD":
                    yield message["record"]

    pipeline = _pipeline(config, ossit_destination(**config["settings"]))
    pipeline.run(dlt.resource(points(), name="points"))
    _report(pipeline, out)


PROGRAMS = {"source": source_program, "rest-api": rest_api_program,
            "destination": destination_program}  # fmt: skip


# -- the measurements ------------------------------------------------------------------------


class _Bench:
    def __init__(self, workdir: Path, shape: DomainShape) -> None:
        self.workdir = workdir
        self.server = SandboxServer(workdir / "source.sqlite", rate_limit=UNBOUNDED_RATE).start()
        self.key = self.server.create_domain("bench-dlt")
        say(f"generating {shape.points:,} points")
        counts = self.server.generate(self.key, **vars(shape))
        self.counts = {kind: counts[kind] for kind in KINDS}
        self.records = sum(self.counts.values())
        self.settings = {"domain_key": self.key, "base_url": self.server.base_url,
                         "max_requests_per_hour": UNBOUNDED_RATE}  # fmt: skip
        self.runs = 0

    def dlt(self, program: str, name: str, **config: Any) -> tuple[Run, dict[str, Any], int]:
        """Run one dlt program; its run, what it reports, and the requests of the source key."""
        self.runs += 1
        config = {"name": name, "pipelines_dir": str(self.workdir / "dlt"),
                  "settings": self.settings, **config}  # fmt: skip
        path = write_json_file(self.workdir / f"dlt-{self.runs}.json", config)
        out = self.workdir / f"dlt-{self.runs}.out.json"
        self.server.reset_stats(self.key)
        run = run_measured(
            [sys.executable, "-m", "bench.dlt", program, str(path), str(out)],
            log=self.workdir / f"logs/dlt-{self.runs}-{program}.log",
            timeout_s=RUN_TIMEOUT_S,
        )
        return run, orjson.loads(out.read_bytes()), self.server.stats(self.key)["requests"]

    def meltano(self, warehouse: Path) -> tuple[Run, int]:
        """``meltano run tap-ossit target-duckdb`` on the domain (a state id of its own)."""
        self.runs += 1
        env = {**os.environ, "TAP_OSSIT_DOMAIN_KEY": self.key,
               "TAP_OSSIT_BASE_URL": self.server.base_url,
               "TAP_OSSIT_MAX_REQUESTS_PER_HOUR": str(UNBOUNDED_RATE),
               "TARGET_DUCKDB_PATH": str(warehouse)}  # fmt: skip
        os.environ.update(env)
        self.server.reset_stats(self.key)
        run = run_measured(
            [console_script("meltano"), "run", "--state-id-suffix", f"bench-dlt-{os.getpid()}",
             "tap-ossit", "target-duckdb"],
            log=self.workdir / f"logs/meltano-{self.runs}.log", timeout_s=RUN_TIMEOUT_S,
        )  # fmt: skip
        return run, self.server.stats(self.key)["requests"]

    def close(self) -> None:
        self.server.stop()


def _load_metrics(workdir: Path, points: int) -> list[Metric]:
    """ossit_destination and target-ossit each load the same points into an empty domain."""
    shape = DomainShape(groups=10, statistics=10, days=points // 100, intervals=0)
    singer = write_points_file(workdir / "points.singer", shape)
    results: dict[str, tuple[Run, int, float]] = {}
    for subject in ("target", "destination"):
        server = SandboxServer(workdir / f"load-{subject}.sqlite", rate_limit=UNBOUNDED_RATE)
        with server:
            key = server.create_domain(f"load-{subject}")
            settings = {"domain_key": key, "base_url": server.base_url,
                        "max_requests_per_hour": UNBOUNDED_RATE}  # fmt: skip
            say(f"loading {shape.points:,} points with {subject}")
            if subject == "target":
                config = write_json_file(workdir / "target.json", settings)
                run = run_measured([console_script("target-ossit"), "--config", str(config)],
                                   log=workdir / "logs/target.log", stdin=singer,
                                   timeout_s=RUN_TIMEOUT_S)  # fmt: skip
                load_s = run.wall_s
            else:
                config = write_json_file(workdir / "destination.json", {
                    "name": "bench_destination", "pipelines_dir": str(workdir / "dlt"),
                    "settings": settings, "input": str(singer)})  # fmt: skip
                out = workdir / "destination.out.json"
                run = run_measured(
                    [sys.executable, "-m", "bench.dlt", "destination", str(config), str(out)],
                    log=workdir / "logs/destination.log",
                    timeout_s=RUN_TIMEOUT_S,
                )
                load_s = orjson.loads(out.read_bytes())["steps"]["load"]
            requests = server.stats(key)["requests"]
        results[subject] = (run, requests, load_s)
    (target, target_requests, _), (dest, dest_requests, dest_load_s) = (
        results["target"], results["destination"])  # fmt: skip
    n = shape.points
    return [
        Metric(id="dlt.destination_vs_target", section=2,
               label="ossit_destination load vs target-ossit (the dlt load step)",
               value=(n / dest_load_s) / (n / target.wall_s), unit="ratio",
               goal=Goal(">=", 0.8),
               detail=f"{n / dest_load_s:,.0f} vs {n / target.wall_s:,.0f} points/s ({n:,} "
               f"points); whole dlt run (extract, normalize, load) {dest.wall_s:.1f} s vs "
               f"{target.wall_s:.1f} s",
               raw={"destination_run_s": dest.wall_s, "load_s": dest_load_s,
                    "target_s": target.wall_s}),
        Metric(id="dlt.destination_requests", section=3,
               label="ossit_destination load: requests / target-ossit's",
               value=dest_requests / target_requests, unit="ratio", goal=Goal("==", 1, "equal"),
               detail=f"{dest_requests:,} vs {target_requests:,} requests"),
        Metric(id="dlt.destination_rss", section=5,
               label="ossit_destination peak RSS vs target-ossit's", unit="ratio",
               value=dest.max_rss_mb / target.max_rss_mb, goal=Goal("info"),
               detail=f"{dest.max_rss_mb:.0f} MB vs {target.max_rss_mb:.0f} MB"),
    ]  # fmt: skip


def _read_metrics(bench: _Bench) -> list[Metric]:
    n, minimum = bench.records, min_requests(bench.counts)
    say(f"ossit_source full read of {n:,} records into DuckDB")
    full, report, full_requests = bench.dlt(
        "source", "ossit", warehouse=str(bench.workdir / "a.duckdb")
    )
    if report["rows"] != bench.counts:
        raise RuntimeError(f"ossit_source loaded {report['rows']}, the domain holds {bench.counts}")
    _, again, incremental_requests = bench.dlt(
        "source", "ossit", warehouse=str(bench.workdir / "a.duckdb")
    )
    say("meltano run tap-ossit target-duckdb")
    meltano, meltano_requests = bench.meltano(bench.workdir / "m.duckdb")
    say("dlt's generic rest_api source")
    rest, rest_report, rest_requests = bench.dlt(
        "rest-api", "rest", warehouse=str(bench.workdir / "r.duckdb")
    )
    _, rest_again, rest_incremental = bench.dlt(
        "rest-api", "rest", warehouse=str(bench.workdir / "r.duckdb")
    )
    rest_rows, rest_rows_again = sum(rest_report["rows"].values()), sum(rest_again["rows"].values())
    return [
        Metric(id="dlt.source_vs_meltano_wall", section=1,
               label="ossit_source into DuckDB vs meltano run tap-ossit target-duckdb: wall time",
               value=full.wall_s / meltano.wall_s, unit="ratio", goal=Goal("info"),
               detail=f"{full.wall_s:.1f} s vs {meltano.wall_s:.1f} s ({n:,} records)"),
        Metric(id="dlt.source_vs_meltano_rss", section=5,
               label="ossit_source into DuckDB vs Meltano: peak RSS (process tree)",
               value=full.max_rss_mb / meltano.max_rss_mb, unit="ratio", goal=Goal("info"),
               detail=f"{full.max_rss_mb:.0f} MB vs {meltano.max_rss_mb:.0f} MB"),
        Metric(id="dlt.source_requests_full", section=3,
               label="ossit_source full read: requests / tap-ossit's (the minimum)",
               value=full_requests / meltano_requests, unit="ratio", goal=Goal("==", 1, "equal"),
               detail=f"{full_requests:,} vs {meltano_requests:,} (minimum {minimum:,})"),
        Metric(id="dlt.source_requests_incremental", section=3,
               label="ossit_source incremental, nothing changed: requests",
               value=incremental_requests, unit="requests", goal=Goal("==", 4, "one per stream"),
               detail=f"{sum(again['rows'].values())} rows loaded"),
        Metric(id="dlt.rest_api_requests", section=3,
               label="dlt generic rest_api source, full then incremental: requests",
               value=rest_requests / full_requests, unit="ratio", goal=Goal("info"),
               detail=f"full {rest_requests:,} requests, {rest_rows:,} rows, {rest.wall_s:.1f} s "
               f"(ossit_source {full_requests:,}, {n:,}, {full.wall_s:.1f} s); incremental "
               f"{rest_incremental} requests, {rest_rows_again:,} rows (ossit_source "
               f"{incremental_requests}, 0)"),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args and args[0] in PROGRAMS:
        os.environ.update(NO_TELEMETRY)
        PROGRAMS[args[0]](orjson.loads(Path(args[1]).read_bytes()), args[2])
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m bench.dlt", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--points", type=int, default=1_000_000)
    arguments = parser.parse_args(args)
    os.environ.update(NO_TELEMETRY)
    workdir = Path(tempfile.mkdtemp(prefix="ossit-bench-dlt-"))
    os.environ["OSSIT_CLIENT_STATE_DIR"] = str(workdir / "client-state")
    shape = DomainShape(groups=10, statistics=100, days=arguments.points // 1000, intervals=100)
    bench = _Bench(workdir, shape)
    try:
        metrics = _read_metrics(bench)
    finally:
        bench.close()
    metrics += _load_metrics(workdir, arguments.points)
    print(render_table(metrics))
    say(f"work folder and logs in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
