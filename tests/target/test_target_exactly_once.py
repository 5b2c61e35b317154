"""Every value exactly once: resumed add loads, names that look like ids, 404s that are not "gone".

A run that fails or is stopped after the API applied a batch, but before the STATE after
it was passed on, is resumed (as Meltano does) from the last STATE it printed with the
same input after that state. An `add` batch sent again then must be recognised as a
replay (see ``ossit_sync.loading.replay``), whichever batch of the segment it was.
"""

from __future__ import annotations

import json
import signal
from collections import defaultdict
from typing import Any

import pytest
from hostile_server import wait_until_input_handled
from kpi_records import KPI_SCHEMA
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer

KPI_SETTINGS = {"stream_kinds": {"kpis": "points"}, "batch_size": 20, "load_id": "kpis-2026-11"}
"""A load named by ``load_id``: its resumes derive the keys the interrupted run sent."""
SEGMENT = 50
"""Records between two STATEs: three batches of at most 20."""


def _kpi(n: int, method: str = "add") -> dict[str, Any]:
    """The n-th KPI row: eight statistics, a few days, values that never cancel out."""
    return {
        "group": "shop",
        "statistic": f"s{n % 8}",
        "reference_date": f"2026-11-{1 + n % 5:02d}",
        "value": 1 + n % 7,
        "method": method,
    }


def _lines(rows: range, method: str = "add") -> list[str]:
    """RECORD lines of the rows, with a STATE after every SEGMENT rows."""
    lines = []
    for n in rows:
        lines.append(json.dumps({"type": "RECORD", "stream": "kpis", "record": _kpi(n, method)}))
        if (n + 1) % SEGMENT == 0:
            lines.append(json.dumps({"type": "STATE", "value": {"kpis": n + 1}}))
    return lines


def _schema_line() -> str:
    return json.dumps({"type": "SCHEMA", "stream": "kpis", "schema": KPI_SCHEMA,
                       "key_properties": []})  # fmt: skip


def _expected(rows: range) -> dict[tuple[str, str, str], float]:
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    for n in rows:
        row = _kpi(n)
        totals[(row["group"], row["statistic"], row["reference_date"])] += row["value"]
    return dict(totals)


def _after(lines: list[str], state: dict[str, Any] | None) -> list[str]:
    """The input after the line of that STATE (all of it when None), as a resume reads it."""
    if state is None:
        return lines
    marker = json.dumps({"type": "STATE", "value": state})
    return lines[lines.index(marker) + 1 :]


def _feed(target_cli: Any, tmp_path: Any, lines: list[str], name: str, **settings: Any) -> Any:
    path = tmp_path / f"{name}.singer"
    path.write_text("\n".join([_schema_line(), *lines]) + "\n")
    return target_cli.run(path, **KPI_SETTINGS, **settings)


@pytest.mark.parametrize("stop_after", [20, 30, 40, 65, 70, 90, 170, 185])
def test_an_add_load_stopped_anywhere_and_resumed_counts_every_value_once(
    stop_after: int, target_cli: Any, destination: Any, tmp_path: Any
) -> None:
    """The first run's input stops short (a killed tap), anywhere in a segment.

    It sends the batches that filled up and passes on only the STATE before them: exactly
    a run killed after the API applied those batches. Add records after the last STATE
    that fill no batch are held back, and the run fails. The resumed run sends the whole
    segment again.
    """
    rows = range(4 * SEGMENT)
    lines = _lines(rows)
    segment_start = stop_after // SEGMENT * SEGMENT
    applied = segment_start + (stop_after - segment_start) // 20 * 20

    stopped = _feed(target_cli, tmp_path, _lines(range(stop_after)), "stopped")
    assert (stopped.returncode == 0) == (applied == stop_after), stopped.stderr[-2000:]
    if applied != stop_after:
        assert f"{stop_after - applied} add/subtract" in stopped.stderr
    last = stopped.states[-1] if stopped.states else None
    assert last == ({"kpis": segment_start} if segment_start else None)
    assert destination.points() == _expected(range(applied))
    resumed = _feed(target_cli, tmp_path, _after(lines, last), "resumed")

    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert destination.points() == _expected(rows)


def test_an_add_batch_whose_answer_was_lost_is_applied_once_by_the_resume(
    target_cli: Any, destination: Any, sandbox: SandboxServer, domain_key: str, tmp_path: Any
) -> None:
    """The API applies the first batch but the answer is lost, and the retry is refused."""
    lines = _lines(range(2 * SEGMENT))
    path = "/v1/api/points/batch"
    sandbox.add_fault(domain_key, method="POST", path=path, status=200, drop=True)
    sandbox.add_fault(domain_key, method="POST", path=path, status=422)

    failed = _feed(target_cli, tmp_path, lines, "failed")
    assert failed.returncode != 0
    assert failed.states == []
    assert destination.points() == _expected(range(20))  # applied, never acknowledged
    resumed = _feed(target_cli, tmp_path, lines, "resumed")

    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert destination.points() == _expected(range(2 * SEGMENT))


def test_a_repeated_set_load_writes_again(
    target_cli: Any, destination: Any, sandbox: SandboxServer, domain_key: str, tmp_path: Any
) -> None:
    """`set` batches carry fresh keys: loading the same input again repairs a changed value."""
    lines = _lines(range(SEGMENT), method="set")
    assert _feed(target_cli, tmp_path, lines, "first").returncode == 0
    expected = destination.points()
    with OssitClient(domain_key, base_url=sandbox.base_url) as client:
        row = _kpi(0)
        client.points.batch([{**row, "method": "set", "value": -1}])

    again = _feed(target_cli, tmp_path, lines, "again")

    assert again.returncode == 0, again.stderr[-2000:]
    assert destination.points() == expected


def test_a_terminated_add_load_leaves_its_tail_to_the_resume(
    target_cli: Any, destination: Any, tmp_path: Any
) -> None:
    lines = _lines(range(3 * SEGMENT + 30))  # 30 rows after the last STATE
    proc = target_cli.start(**KPI_SETTINGS)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n".join([_schema_line(), *lines]) + "\n")
    proc.stdin.flush()
    states = []
    for line in proc.stdout:
        states.append(json.loads(line))
        if states[-1] == {"kpis": 3 * SEGMENT}:
            break
    wait_until_input_handled(proc)  # every line read: 20 rows sent, 10 staged
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 1  # stopped before the end of its input: not a success
    proc.stdin.close()
    proc.stdout.close()
    # The tail's first 20 filled a batch and went out; the last 10 are left to the resume.
    assert destination.points() == _expected(range(3 * SEGMENT + 20))

    end = json.dumps({"type": "STATE", "value": {"kpis": "done"}})  # as the resumed tap ends
    resumed = _feed(target_cli, tmp_path, [*_after(lines, states[-1]), end], "resumed")

    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert resumed.states[-1] == {"kpis": "done"}
    assert destination.points() == _expected(range(3 * SEGMENT + 30))


def _tombstone(stream: str, **fields: Any) -> dict[str, Any]:
    stamp = "2026-01-01T00:00:00.000000Z"
    record = {"id": "src_1", "created_at": stamp, "updated_at": stamp, "deleted_at": stamp}
    if stream == "statistics":
        record |= {"group_id": "src_g", "unit": None, "description": None, "value": None,
                   "reference_date": None}  # fmt: skip
    else:
        record |= {"description": None}
    return record | fields


def test_tombstones_named_like_ids_delete_nothing_they_did_not_match_by_name(
    singer: Any, target_cli: Any, sandbox: SandboxServer, domain_key: str, destination: Any
) -> None:
    with OssitClient(domain_key, base_url=sandbox.base_url) as client:
        victim = client.statistic_groups.create("victim")
        statistic = client.statistics.create("victim", "kept", value=5, reference_date="2026-01-02")
    singer.schema("statistic_groups")
    singer.record("statistic_groups", _tombstone("statistic_groups", name=victim["id"]))
    singer.schema("statistics")
    for group, name in ((victim["id"], statistic["id"]), ("victim", statistic["id"])):
        singer.record("statistics", _tombstone("statistics", group=group, name=name))
    sandbox.reset_stats(domain_key)

    run = target_cli.run(singer.write())

    assert run.returncode == 0, run.stderr[-2000:]
    assert [g["name"] for g in destination.records("statistic_groups")] == ["victim"]
    assert [s["name"] for s in destination.records("statistics")] == ["kept"]
    assert destination.points() == {("victim", "kept", "2026-01-02"): 5}
    writes = [e for e in sandbox.stats(domain_key)["by_endpoint"] if not e.startswith("GET")]
    assert writes == []  # nothing matched by name: nothing to delete, no request


def test_a_404_from_a_missing_endpoint_is_an_error_not_a_deleted_object(
    singer: Any, target_cli: Any, sandbox: SandboxServer
) -> None:
    singer.schema("statistic_groups")
    singer.record("statistic_groups", _tombstone("statistic_groups", name="gone"))

    run = target_cli.run(singer.write(), base_url=f"{sandbox.base_url}/not-the-api")

    assert run.returncode != 0
    assert "404" in run.stderr
