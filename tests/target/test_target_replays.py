"""Replays are never silent: what the API answered from an earlier write is reported.

Input alone cannot tell a resume from a new push of the same rows, so each run is a load
of its own unless ``load_id`` names the load: the same add push run twice applies twice.
With a ``load_id``, a batch sent again is a replay the API does not apply again: right for a
resume, a lost write for a new load, so every such batch is counted per stream and said in
the run's last lines, with what to change if it was not a resume.
"""

from __future__ import annotations

import json
from typing import Any

from kpi_records import KPI_SCHEMA


def _push(singer: Any, streams: tuple[str, ...]) -> Any:
    """Add rows to two statistics per stream, a STATE at the end: the input of one push."""
    for stream in streams:
        singer.add({"type": "SCHEMA", "stream": stream, "schema": KPI_SCHEMA, "key_properties": []})
        for n in range(30):
            record = {
                "group": stream,
                "statistic": f"s{n % 2}",
                "reference_date": "2026-11-01",
                "value": 1,
                "method": "increment" if stream == "visits" else "add",
            }
            singer.record(stream, record)
    singer.state({"pushed": "all"})
    return singer.write()


def _run(target_cli: Any, path: Any, **settings: Any) -> Any:
    kinds = {"sales": "points", "visits": "points"}
    run = target_cli.run(path, stream_kinds=kinds, batch_size=10, **settings)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_the_same_add_push_run_twice_applies_twice_by_default(
    singer: Any, target_cli: Any, destination: Any
) -> None:
    path = _push(singer, ("sales", "visits"))

    first, second = _run(target_cli, path), _run(target_cli, path)

    assert destination.points() == {
        (group, f"s{s}", "2026-11-01"): 30.0 for group in ("sales", "visits") for s in (0, 1)
    }
    assert "replay" not in first.stderr + second.stderr


def test_a_load_sent_again_under_its_load_id_is_applied_once_and_reported_per_stream(
    singer: Any, target_cli: Any, destination: Any
) -> None:
    path = _push(singer, ("sales", "visits"))

    first = _run(target_cli, path, load_id="2026-11-01")
    second = _run(target_cli, path, load_id="2026-11-01")

    assert destination.points() == {
        (group, f"s{s}", "2026-11-01"): 15.0 for group in ("sales", "visits") for s in (0, 1)
    }
    assert "replay" not in first.stderr
    last = second.stderr.strip().splitlines()[-4:]
    said = [line for line in last if "answered by the API as replays" in line]
    assert len(said) == 2, last
    for stream in ("sales", "visits"):
        (line,) = [line for line in said if f"stream '{stream}': 3 batch(es) (30 items)" in line]
        assert "give each load its own load_id" in line
    assert second.states == first.states == [{"pushed": "all"}]
    assert json.dumps(target_cli.config["domain_key"]).strip('"') not in second.stderr
