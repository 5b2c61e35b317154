"""The benchmarks can't rot: `python -m bench smoke` runs end to end on 10k points.

Only completion and the shape of the results are asserted, never a timing:
speed on a shared CI machine is not a test result.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

METRICS = {
    "tap.throughput_vs_baseline": 1,
    "tap.throughput_vs_sdk": 1,
    "tap.sdk_vs_baseline": 1,
    "airbyte.source_vs_tap": 1,
    "target.throughput_vs_baseline": 2,
    "airbyte.destination_vs_target": 2,
    "requests.tap_full": 3,
    "requests.tap_incremental": 3,
    "requests.target_load": 3,
    "requests.source_vs_tap": 3,
    "requests.destination_vs_target": 3,
    "rate_limit.wall_vs_ideal": 4,
    "rate_limit.responses_429": 4,
    "rate_limit.shared_budget_wall_vs_ideal": 4,
    "rate_limit.shared_budget_429": 4,
    "memory.tap_growth": 5,
    "memory.tap_peak": 5,
    "memory.target_growth": 5,
    "memory.source_vs_tap": 5,
    "memory.destination_vs_target": 5,
    "sandbox.list_rate": 6,
    "sandbox.write_rate": 6,
    "sandbox.rss_growth": 6,
    "sandbox.generate_rate": 6,
}
"""Every metric issue 7 asks for, with its section there; then the Airbyte pair's."""


def test_smoke_run_writes_every_metric(tmp_path: Path) -> None:
    output = tmp_path / "smoke.json"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "smoke", "--output", str(output)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]

    results = json.loads(output.read_text())
    assert results["profile"] == "smoke"
    assert results["errors"] == {}
    assert results["duration_s"] > 0
    by_id = {metric["id"]: metric for metric in results["metrics"]}
    assert {key: metric["section"] for key, metric in by_id.items()} == METRICS
    for metric in by_id.values():
        assert isinstance(metric["value"], int | float), metric
        assert math.isfinite(metric["value"]) and metric["value"] >= 0, metric
        assert metric["goal"]["text"], metric
        assert metric["met"] in (True, False, None), metric
        assert (metric["met"] is None) == (metric["goal"]["op"] == "info"), metric

    table = completed.stdout
    for metric in by_id.values():
        assert metric["label"] in table
    assert "| # | Metric | Measured | Goal | Met | How |" in table
