"""Running at scale: tap partitions and a target on separate "machines", one budget in Redis.

Two tap-ossit partitions (the `groups` setting) and a target-ossit pushing KPIs, all on one
domain key, run at once as separate processes, each with its own `OSSIT_CLIENT_STATE_DIR` (as
separate machines would have): the only thing they share is `budget_url`. Against a sandbox
whose limit the three together exceed, the sandbox must answer no 429 and every record must
arrive; the same runs without `budget_url` run into the 429s it prevents. Redis down at start
stops a connector with one line naming the URL, password masked.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from kpi_records import KPI_SCHEMA
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer
from redis_server import RedisServer

BIN = Path(sys.executable).parent
LIMIT, WINDOW = 10, 2.0
"""The sandbox's limit: 10 requests per 2 s per key; the three runs need about 45."""
PARTITIONS = {"a": ["group-001", "group-002"], "b": ["group-003", "group-004"]}
KPI_POINTS = 60
SETTINGS: dict[str, Any] = {
    "max_requests_per_hour": LIMIT,  # per rate_window: the sandbox's own rule
    "rate_window": WINDOW,
    "max_retry_wait": 60,
}


@dataclass(frozen=True)
class SharedRedis:
    """The Redis the "machines" share: its URL (password inside) and the password."""

    url: str
    password: str


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[SharedRedis]:
    """scripts/test's throw-away server (``OSSIT_TEST_REDIS_URL``, emptied first), else one of
    this test's own."""
    url = os.environ.get("OSSIT_TEST_REDIS_URL")
    if url:
        with redis.Redis.from_url(url) as probe:
            probe.flushdb()
        yield SharedRedis(url, urlsplit(url).password or "")
        return
    with RedisServer(tmp_path / "redis") as server:
        yield SharedRedis(server.url, server.password)


@pytest.fixture
def limited(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    return sandbox_factory(rate_limit=LIMIT, rate_window=WINDOW)


def _domain(server: SandboxServer, name: str) -> str:
    key = server.create_domain(name, time_zone="UTC")
    server.generate(key, groups=4, statistics=2, days=40, intervals=4, seed=3)
    return key


def _kpis(path: Path) -> Path:
    """A Singer file of KPI points (stream `daily_kpis`, loaded as points), ending in a STATE."""
    lines = [{"type": "SCHEMA", "stream": "daily_kpis", "schema": KPI_SCHEMA, "key_properties": []}]
    for day in range(KPI_POINTS):
        record = {"group": "kpis", "statistic": "signups", "value": float(day)}
        record["reference_date"] = f"2025-{1 + day // 28:02d}-{1 + day % 28:02d}"
        lines.append({"type": "RECORD", "stream": "daily_kpis", "record": record})
    lines.append({"type": "STATE", "value": {"kpis": KPI_POINTS}})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _run_all(
    server: SandboxServer, key: str, workdir: Path, budget_url: str | None
) -> list[subprocess.CompletedProcess[str]]:
    """Both tap partitions and the KPI target at once, each on its own "machine"."""
    workdir.mkdir()
    base = {"domain_key": key, "base_url": server.base_url, **SETTINGS}
    if budget_url is not None:
        base["budget_url"] = budget_url
    env = {k: v for k, v in os.environ.items() if k != "OSSIT_BUDGET_URL"}
    commands: list[tuple[list[str], dict[str, Any], Path | None]] = [
        ([str(BIN / "tap-ossit")], {**base, "groups": groups, "page_size": 20}, None)
        for groups in PARTITIONS.values()
    ]
    target = {**base, "batch_size": 10, "stream_kinds": {"daily_kpis": "points"}}
    commands.append(([str(BIN / "target-ossit")], target, _kpis(workdir / "kpis.singer")))
    processes = []
    with contextlib.ExitStack() as inputs:
        for number, (argv, config, stdin) in enumerate(commands):
            machine = workdir / f"machine-{number}"
            machine.mkdir()
            (machine / "config.json").write_text(json.dumps(config))
            processes.append(
                subprocess.Popen(
                    [*argv, "--config", str(machine / "config.json")],
                    stdin=inputs.enter_context(stdin.open()) if stdin else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env={**env, "OSSIT_CLIENT_STATE_DIR": str(machine / "state")},
                )
            )
        results = []
        for process in processes:
            out, err = process.communicate(timeout=300)
            results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def _records(output: str) -> dict[str, set[str]]:
    by_stream: dict[str, set[str]] = {}
    for line in output.splitlines():
        message = json.loads(line)
        if message.get("type") == "RECORD":
            by_stream.setdefault(message["stream"], set()).add(message["record"]["id"])
    return by_stream


def _expected(server: SandboxServer, key: str, groups: list[str]) -> dict[str, set[str]]:
    """What a partition of ``groups`` must emit: the domain's records of those groups."""
    with OssitClient(key, base_url=server.base_url, rate_window=WINDOW, max_retry_wait=60) as c:
        return {
            "statistic_groups": {g["id"] for g in c.statistic_groups.list() if g["name"] in groups},
            "statistics": {s["id"] for s in c.statistics.list() if s["group"] in groups},
            "points": {p["id"] for p in c.points.list() if p["group"] in groups},
            "intervals": {i["id"] for i in c.intervals.list() if i["group"] in groups},
        }


def test_partitions_and_a_target_sharing_budget_url_get_no_429(
    limited: SandboxServer, redis_server: SharedRedis, tmp_path: Path
) -> None:
    key = _domain(limited, "shared")
    expected = {name: _expected(limited, key, groups) for name, groups in PARTITIONS.items()}
    limited.reset_stats(key)

    runs = _run_all(limited, key, tmp_path / "run", redis_server.url)

    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
        assert redis_server.password not in run.stderr + run.stdout
    stats = limited.stats(key)
    assert stats["rate_limited"] == 0, stats
    assert stats["requests"] > LIMIT  # the three together needed more than one window
    for name, run in zip(PARTITIONS, runs, strict=False):
        assert _records(run.stdout) == expected[name]
    assert json.loads(runs[2].stdout.splitlines()[-1]) == {"kpis": KPI_POINTS}
    with OssitClient(key, base_url=limited.base_url, rate_window=WINDOW, max_retry_wait=60) as c:
        loaded = [p for p in c.points.list() if p["group"] == "kpis"]
    assert len(loaded) == KPI_POINTS
    assert not list((tmp_path / "run").glob("machine-*/state/budget-*.json"))  # no file budget


def test_the_same_runs_without_budget_url_run_into_429(
    limited: SandboxServer, tmp_path: Path
) -> None:
    key = _domain(limited, "separate")
    limited.reset_stats(key)

    runs = _run_all(limited, key, tmp_path / "run", None)

    assert [run.returncode for run in runs] == [0, 0, 0]  # the 429s were retried
    assert limited.stats(key)["rate_limited"] > 0


def test_redis_down_at_start_stops_a_connector_naming_the_url_masked(
    limited: SandboxServer, tmp_path: Path
) -> None:
    down = RedisServer(tmp_path / "never-started")  # a free port nobody listens on
    config = tmp_path / "tap.json"
    key = limited.create_domain("down", time_zone="UTC")
    config.write_text(
        json.dumps({"domain_key": key, "base_url": limited.base_url, "budget_url": down.url})
    )
    run = subprocess.run(
        [str(BIN / "tap-ossit"), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OSSIT_CLIENT_STATE_DIR": str(tmp_path / "state")},
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "tap-ossit stopped:" in last
    assert f"127.0.0.1:{down.port}" in last
    assert down.password not in run.stderr
    assert "Traceback" not in run.stderr
    assert limited.stats(key)["requests"] == 0
