"""destination-ossit as a process against the real sandbox over 127.0.0.1: spec, check, write.

Every run goes through ``run_connector`` (airbyte_runs.py), which checks each line of
standard output against the Airbyte protocol and that no domain key is printed. What a
domain holds is read back through the API (``OssitClient``) or with ``source-ossit read``,
and two domains are compared by natural keys and values, never by ids or stamps.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from airbyte_runs import Files, Run, configured_catalog, parse_message, run_connector
from kpi_records import KPI_SCHEMA
from ossit_client import NotFoundError, OssitClient
from ossit_client._masking import escaped_forms
from ossit_client.settings import CONNECTION_SETTINGS
from ossit_sandbox.launcher import SandboxServer
from ossit_schemas import record_schema
from ossit_sync.loading.settings import LOAD_SETTINGS

DESTINATION = "destination-ossit"
SOURCE = "source-ossit"
KINDS = ("statistic_groups", "statistics", "points", "intervals")
STAMP = "2026-01-01T00:00:00.000000Z"

OpenClient = Callable[[str, str], OssitClient]
"""The ``open_client`` fixture (tests/conftest.py)."""


# -- helpers ----------------------------------------------------------------------------------


def _config(sandbox: SandboxServer, key: str, **settings: Any) -> dict[str, Any]:
    return {"domain_key": key, "base_url": sandbox.base_url, **settings}


def _write(
    files: Files,
    config: dict[str, Any],
    catalog: dict[str, Any],
    lines: list[str] | str,
    *args: str,
) -> Run:
    """``destination-ossit write`` of ``lines`` (or a whole text) on standard input."""
    text = lines if isinstance(lines, str) else "".join(line + "\n" for line in lines)
    return run_connector(
        DESTINATION,
        "write",
        "--config",
        files.json(config, "config"),
        "--catalog",
        files.json(catalog, "catalog"),
        *args,
        stdin=text.encode(),
        secrets=(config["domain_key"].strip(),),
    )


def _read(files: Files, sandbox: SandboxServer, key: str) -> Run:
    """A full ``source-ossit read`` of a domain, tombstones included."""
    run = run_connector(
        SOURCE,
        "read",
        "--config",
        files.json(_config(sandbox, key, include_deleted=True), "source-config"),
        "--catalog",
        files.json(configured_catalog(), "source-catalog"),
        secrets=(key,),
    )
    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    return run


def _as_input(run: Run) -> str:
    """A run's messages as the input of another connector, one JSON line each."""
    return "".join(json.dumps(message) + "\n" for message in run.messages)


def _natural_key(kind: str, record: dict[str, Any]) -> Any:
    if kind == "statistic_groups":
        return record["name"]
    if kind == "statistics":
        return (record["group"], record["name"])
    if kind == "points":
        return (record["group"], record["statistic"], record["reference_date"])
    return record["external_id"]  # the generated intervals all have one


_DIFFER_ACROSS_DOMAINS = {
    "_ossit_origin",
    "id",
    "group_id",
    "statistic_id",
    "created_at",
    "updated_at",
    "external_id",
}


def _live(run: Run) -> dict[str, dict[Any, dict[str, Any]]]:
    """Live records per kind, by natural key, without what differs between domains."""
    live: dict[str, dict[Any, dict[str, Any]]] = {}
    for kind in KINDS:
        by_key: dict[Any, dict[str, Any]] = {}
        for record in run.records.get(kind, []):
            if record.get("deleted_at") is None:
                key = _natural_key(kind, record)
                assert key not in by_key, f"{kind}: {key} twice"
                by_key[key] = {k: v for k, v in record.items() if k not in _DIFFER_ACROSS_DOMAINS}
        live[kind] = by_key
    return live


def _tombstones(run: Run) -> dict[str, set[Any]]:
    return {
        kind: {_natural_key(kind, r) for r in run.records.get(kind, []) if r.get("deleted_at")}
        for kind in KINDS
    }


def _snapshot(client: OssitClient) -> dict[str, list[dict[str, Any]]]:
    """Every live record exactly as listed, ids and stamps included."""
    return {kind: sorted(getattr(client, kind).list(), key=lambda r: r["id"]) for kind in KINDS}


def _points(client: OssitClient) -> dict[tuple[str, str, str], float]:
    return {
        (p["group"], p["statistic"], p["reference_date"]): p["value"] for p in client.points.list()
    }


class Input:
    """Airbyte messages for a write's standard input; each ``add`` returns its line number."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.state_messages: list[dict[str, Any]] = []

    def add(self, message: dict[str, Any] | str) -> int:
        self.lines.append(message if isinstance(message, str) else json.dumps(message))
        return len(self.lines)

    def record(self, stream: str, data: dict[str, Any]) -> int:
        return self.add(
            {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1}}
        )

    def state(self, stream: str, value: dict[str, Any]) -> int:
        state = {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream}, "stream_state": value},
        }
        self.state_messages.append(state)
        return self.add({"type": "STATE", "state": state})


def _point(group: str, statistic: str, day: int, value: float, **extra: Any) -> dict[str, Any]:
    """A points record as source-ossit emits it; ``day`` counts the days of 2026-01."""
    return {
        "id": f"pt_{group}_{statistic}_{day}",
        "statistic_id": f"stat_{group}_{statistic}",
        "group": group,
        "statistic": statistic,
        "reference_date": f"2026-01-{day:02d}",
        "value": value,
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": None,
        **extra,
    }


def _interval(number: int) -> dict[str, Any]:
    return {
        "id": f"int_{number}",
        "external_id": f"ext-{number}",
        "group_id": "grp_1",
        "group": "g",
        "statistic": None,
        "type": "custom",
        "name": f"interval {number}",
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-01T01:00:00Z",
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": None,
    }


def _no_traceback(run: Run) -> None:
    text = json.dumps(run.messages) + run.stderr
    assert "Traceback" not in text, text[-3000:]


def _one_error_with_stack(run: Run) -> dict[str, Any]:
    """The one TRACE error of a ``--debug`` run, which carries its stack trace."""
    assert run.returncode == 1, (run.messages[-5:], run.stderr[-2000:])
    assert len(run.errors) == 1, run.errors
    assert run.errors[0].get("stack_trace"), "--debug gives the stack trace"
    return run.errors[0]


def _one_error(run: Run) -> dict[str, Any]:
    assert run.returncode == 1, (run.messages[-5:], run.stderr[-2000:])
    assert len(run.errors) == 1, run.errors
    assert run.messages[-1]["type"] == "TRACE", "the TRACE error is the run's last word"
    _no_traceback(run)
    return run.errors[0]


# -- spec -------------------------------------------------------------------------------------


def test_spec_lists_connection_then_load_settings_secrets_and_sync_modes() -> None:
    run = run_connector(DESTINATION, "spec")

    assert run.returncode == 0, run.stderr
    assert [m["type"] for m in run.messages] == ["SPEC"]
    spec = run.messages[0]["spec"]
    properties = spec["connectionSpecification"]["properties"]
    assert list(properties) == [*CONNECTION_SETTINGS, *LOAD_SETTINGS]
    assert [p["order"] for p in properties.values()] == list(range(len(properties)))
    secrets = {name for name, p in properties.items() if p.get("airbyte_secret")}
    assert secrets == {"domain_key", "budget_url"}
    assert spec["connectionSpecification"]["required"] == ["domain_key"]
    assert spec["supported_destination_sync_modes"] == ["append", "append_dedup"]


# -- check ------------------------------------------------------------------------------------


def _check(files: Files, config: dict[str, Any] | str, secrets: tuple[str, ...] = ()) -> Run:
    path = config if isinstance(config, str) else files.json(config, "config")
    run = run_connector(DESTINATION, "check", "--config", path, secrets=secrets)
    assert run.returncode == 0, run.stderr[-2000:]
    assert [m["type"] for m in run.messages if m["type"] != "LOG"] == ["CONNECTION_STATUS"]
    _no_traceback(run)
    return run


def _status(run: Run) -> dict[str, Any]:
    return run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]


def test_check_succeeds_with_a_good_key(
    files: Files, sandbox: SandboxServer, domain_key: str
) -> None:
    run = _check(files, _config(sandbox, domain_key), secrets=(domain_key,))

    assert _status(run) == {"status": "SUCCEEDED"}


def test_check_fails_plainly_with_a_key_the_sandbox_refuses(
    files: Files, sandbox: SandboxServer
) -> None:
    unknown = "dk_" + "Z" * 32

    run = _check(files, _config(sandbox, unknown, max_retries=0), secrets=(unknown,))

    status = _status(run)
    assert status["status"] == "FAILED"
    assert "refused the domain key (HTTP 401)" in status["message"]
    assert "domain_key" in status["message"]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"base_url": "http://example.com"}, "base_url"),
        ({"stream_kinds": {"daily_kpis": "nonsense"}}, "stream_kinds"),
    ],
)
def test_check_fails_naming_a_bad_setting(
    settings: dict[str, Any], named: str, files: Files, sandbox: SandboxServer, domain_key: str
) -> None:
    sandbox.reset_stats(domain_key)

    run = _check(files, {**_config(sandbox, domain_key), **settings}, secrets=(domain_key,))

    status = _status(run)
    assert status["status"] == "FAILED"
    assert named in status["message"]
    assert sandbox.stats(domain_key)["requests"] == 0


def test_check_fails_naming_a_config_file_that_is_not_json(files: Files, tmp_path: Path) -> None:
    path = tmp_path / "broken-config.json"
    path.write_text('{"domain_key": ')

    status = _status(_check(files, str(path)))

    assert status["status"] == "FAILED"
    assert str(path) in status["message"]
    assert "not valid JSON" in status["message"]


# -- write: a domain copied through source-ossit and back --------------------------------------


def _fill_source(sandbox: SandboxServer, key: str, client: OssitClient) -> None:
    """A small generated domain with a deleted group, statistic, point and interval."""
    sandbox.generate(key, groups=2, statistics=3, days=10, intervals=4, seed=5)
    client.statistic_groups.create("doomed", description="deleted below")
    client.statistics.create("doomed", "s", value=1, reference_date="2026-01-01", unit="u")
    client.statistic_groups.update("group-001", description="described")
    interval = next(i for i in client.intervals.list() if i.get("deleted_at") is None)
    day = sorted(
        p["reference_date"]
        for p in client.points.list()
        if (p["group"], p["statistic"]) == ("group-002", "statistic-001")
    )[3]
    # A lost answer is retried; a retried delete finds the object gone already.
    with suppress(NotFoundError):
        client.statistic_groups.delete("doomed")
    with suppress(NotFoundError):
        client.statistics.purge("group-001", "statistic-002")
    with suppress(NotFoundError):
        client.statistics.delete_point("group-002", "statistic-001", day)
    with suppress(NotFoundError):
        client.intervals.delete(interval["id"])


def test_a_domain_copied_through_source_and_destination_reads_back_the_same(
    files: Files,
    sandbox: SandboxServer,
    domain_key: str,
    open_client: OpenClient,
) -> None:
    source_key = sandbox.create_domain("airbyte-copy-source")
    _fill_source(sandbox, source_key, open_client(sandbox.base_url, source_key))
    extract = _read(files, sandbox, source_key)
    tombstones = _tombstones(extract)
    assert all(tombstones[kind] for kind in KINDS), tombstones  # every kind has a delete
    catalog = configured_catalog()
    config = _config(sandbox, domain_key)
    sandbox.reset_stats(domain_key)

    first = _write(files, config, catalog, _as_input(extract))

    assert first.returncode == 0, (first.errors, first.stderr[-2000:])
    created = sandbox.stats(domain_key)["by_endpoint"]
    # One create per live group and statistic; every point, every interval in one batch each.
    assert created["POST /v1/api/statistic-groups"] == len(_live(extract)["statistic_groups"])
    assert created["POST /v1/api/statistics"] == len(_live(extract)["statistics"])
    assert created["POST /v1/api/points/batch"] == created["POST /v1/api/intervals/batch"] == 1
    assert first.states == extract.states
    copy = _read(files, sandbox, domain_key)
    expected, got = _live(extract), _live(copy)
    for kind in KINDS:
        assert got[kind] == expected[kind], kind
        assert not tombstones[kind] & set(got[kind]), f"{kind}: a deleted object is live in B"
    b = open_client(sandbox.base_url, domain_key)
    after_first = _snapshot(b)

    sandbox.reset_stats(domain_key)
    second = _write(files, config, catalog, _as_input(extract))

    assert second.returncode == 0, (second.errors, second.stderr[-2000:])
    assert second.states == extract.states
    second_stats = sandbox.stats(domain_key)
    assert _snapshot(b) == after_first  # not one record rewritten: ids and stamps unchanged
    # Groups and statistics already there are not written again (one list of each tells);
    # points and intervals go as one batch request each.
    assert second_stats["by_endpoint"] == {
        "GET /v1/api/statistic-groups": 1,
        "GET /v1/api/statistics": 1,
        "POST /v1/api/points/batch": 1,
        "POST /v1/api/intervals/batch": 1,
    }


# -- STATE echo -------------------------------------------------------------------------------


def test_a_state_is_echoed_only_after_its_records_and_none_after_a_failed_batch(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    messages = Input()
    messages.record("intervals", _interval(1))
    messages.record("intervals", _interval(2))
    messages.state("intervals", {"cursor": 1})
    first_point = messages.record("points", _point("g", "s", 1, 1.0))
    messages.record("points", _point("g", "s", 2, 2.0))
    last_point = messages.record("points", _point("g", "s", 3, 3.0))
    messages.state("points", {"cursor": 2})
    messages.record("points", _point("g", "s", 4, 4.0))
    messages.state("points", {"cursor": 3})
    sandbox.add_fault(domain_key, status=500, path="/v1/api/points/batch", count=1000)
    config = _config(sandbox, domain_key, max_retries=0)

    run = _write(files, config, configured_catalog(("points", "intervals")), messages.lines)

    error = _one_error(run)
    assert error["failure_type"] == "transient_error", error  # a 5xx past its retries
    assert error["stream_descriptor"] == {"name": "points"}
    assert f"stream 'points', input line {first_point}" in error["message"]
    assert f"input lines {first_point} to {last_point}" in error["message"]
    assert "500" in error["message"]
    assert run.states == messages.state_messages[:1]
    b = open_client(sandbox.base_url, domain_key)
    assert sorted(i["external_id"] for i in b.intervals.list()) == ["ext-1", "ext-2"]
    assert _points(b) == {}


def test_every_state_is_echoed_in_order_after_its_records(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    """Three segments of several batches each: every STATE echoed once, in input order."""
    messages = Input()
    for segment in range(3):
        for day in range(1, 6):
            messages.record("points", _point("g", f"s{segment}", day, float(day)))
        messages.state("points", {"segment": segment})

    run = _write(
        files,
        _config(sandbox, domain_key, batch_size=2),
        configured_catalog(("points",)),
        messages.lines,
    )

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    assert run.states == messages.state_messages
    assert len(_points(open_client(sandbox.base_url, domain_key))) == 15
    assert all(m["type"] in ("STATE", "LOG") for m in run.messages), run.type_counts()


def test_each_state_passed_on_counts_the_records_it_covers(
    files: Files, sandbox: SandboxServer, domain_key: str
) -> None:
    """destinationStats: a stream's records since its previous STATE; all for a legacy one."""
    messages = Input()
    messages.record(
        "statistic_groups",
        {"id": "grp_1", "name": "g", "description": None, "created_at": STAMP,
         "updated_at": STAMP, "deleted_at": None},
    )  # fmt: skip
    for day in range(1, 4):
        messages.record("points", _point("g", "s", day, float(day)))
    messages.state("points", {"n": 1})  # 3 points (the group is not its stream's)
    messages.state("statistic_groups", {"n": 1})  # 1 group
    messages.state("points", {"n": 2})  # nothing since
    messages.record("points", _point("g", "s", 9, 9.0))
    messages.add({"type": "STATE", "state": {"data": {"legacy": True}}})  # every stream: 1

    run = _write(
        files,
        _config(sandbox, domain_key),
        configured_catalog(("statistic_groups", "points")),
        messages.lines,
    )

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    assert run.destination_counts == [{"recordCount": n} for n in (3.0, 1.0, 0.0, 1.0)], (
        run.messages
    )


def test_a_state_is_echoed_as_soon_as_its_batch_is_acknowledged_and_sigterm_ends_with_a_trace(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    """With the input still open, the STATE after a loaded batch is on stdout already: an
    orchestrator may checkpoint it. A SIGTERM then ends the run with one TRACE error."""
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0))
    messages.state("points", {"cursor": 1})
    messages.record("points", _point("g", "s", 2, 2.0))
    command = [DESTINATION, "write", "--config", files.json(_config(sandbox, domain_key)),
               "--catalog", files.json(configured_catalog(("points",)))]  # fmt: skip
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("".join(line + "\n" for line in messages.lines).encode())
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "no STATE echoed while the input is open"
        first = parse_message(process.stdout.readline().decode())
        assert first == {
            "type": "STATE",
            "state": {**messages.state_messages[0], "destinationStats": {"recordCount": 1.0}},
        }
        assert _points(open_client(sandbox.base_url, domain_key)) == {("g", "s", "2026-01-01"): 1.0}
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    for form in escaped_forms(domain_key):
        assert form.encode() not in stdout + stderr
    rest = [parse_message(line) for line in stdout.decode().splitlines()]
    assert process.returncode == 1, rest
    errors = [m["trace"]["error"] for m in rest if m["type"] == "TRACE"]
    assert [m["type"] for m in rest if m["type"] != "LOG"] == ["TRACE"]
    assert "stopped by SIGTERM" in errors[0]["message"]
    assert "Traceback" not in stderr.decode() + stdout.decode()


# -- sync modes -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["overwrite", "update", "soft_delete"])
def test_a_sync_mode_other_than_append_is_refused_before_any_request(
    mode: str, files: Files, sandbox: SandboxServer, domain_key: str
) -> None:
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0))
    messages.state("points", {"cursor": 1})
    catalog = configured_catalog(("statistic_groups",))
    catalog["streams"] += configured_catalog(("points",), destination_sync_mode=mode)["streams"]
    sandbox.reset_stats(domain_key)

    run = _write(files, _config(sandbox, domain_key), catalog, messages.lines)

    error = _one_error(run)
    assert error["failure_type"] == "config_error"
    assert f"stream 'points': destination sync mode '{mode}' is not supported" in error["message"]
    assert run.states == []
    assert sandbox.stats(domain_key)["requests"] == 0


# -- stream_kinds -----------------------------------------------------------------------------


def _kpi_input() -> Input:
    messages = Input()
    for day in (1, 2, 3):
        messages.record("daily_kpis", _point("kpis", "revenue", day, 10.0 * day))
    messages.state("daily_kpis", {"cursor": 3})
    return messages


def test_a_stream_mapped_by_stream_kinds_loads_as_its_kind(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    messages = _kpi_input()
    catalog = configured_catalog(("daily_kpis",), schemas={"daily_kpis": record_schema("points")})
    config = _config(sandbox, domain_key, stream_kinds={"daily_kpis": "points"})

    run = _write(files, config, catalog, messages.lines)

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    assert run.states == messages.state_messages
    assert _points(open_client(sandbox.base_url, domain_key)) == {
        ("kpis", "revenue", "2026-01-01"): 10.0,
        ("kpis", "revenue", "2026-01-02"): 20.0,
        ("kpis", "revenue", "2026-01-03"): 30.0,
    }


def test_a_stream_named_after_no_kind_and_not_mapped_is_a_config_error(
    files: Files, sandbox: SandboxServer, domain_key: str
) -> None:
    catalog = configured_catalog(("daily_kpis",), schemas={"daily_kpis": record_schema("points")})
    sandbox.reset_stats(domain_key)

    run = _write(files, _config(sandbox, domain_key), catalog, _kpi_input().lines)

    error = _one_error(run)
    assert error["failure_type"] == "config_error"
    assert "'daily_kpis'" in error["message"]
    assert "stream_kinds" in error["message"]
    assert sandbox.stats(domain_key)["requests"] == 0


# -- bad input --------------------------------------------------------------------------------


def _bad_record(stream: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1}}
    )


_BAD_LINES = {
    "not-json": ('{"type": "RECORD", "record": ', None, None, "not valid JSON"),
    "unknown-stream": (
        _bad_record("elsewhere", _point("g", "s", 9, 9.0)),
        "elsewhere",
        None,
        "not a stream of the configured catalog",
    ),
    "wrong-type": (_bad_record("points", _point("g", "s", 9, "nine")), "points", "value", None),
    "missing-field": (
        _bad_record(
            "points", {k: v for k, v in _point("g", "s", 9, 9.0).items() if k != "reference_date"}
        ),
        "points",
        "reference_date",
        None,
    ),
}


@pytest.mark.parametrize("case", list(_BAD_LINES))
def test_a_bad_input_line_fails_the_run_naming_it_and_loses_nothing_accepted(
    case: str, files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    line, stream, field, says = _BAD_LINES[case]
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0))
    messages.record("points", _point("g", "s", 2, 2.0))
    messages.state("points", {"cursor": 2})
    messages.record("points", _point("g", "s", 3, 3.0))
    bad = messages.add(line)
    messages.record("points", _point("g", "s", 4, 4.0))
    messages.state("points", {"cursor": 4})

    run = _write(
        files, _config(sandbox, domain_key), configured_catalog(("points",)), messages.lines
    )

    error = _one_error(run)
    assert error["failure_type"] == "system_error"  # the source's output, not the user's config
    assert f"input line {bad}" in error["message"]
    if stream is not None:
        assert f"stream '{stream}'" in error["message"]
    if field is not None:
        assert f"field '{field}'" in error["message"]
    if says is not None:
        assert says in error["message"]
    assert run.states == messages.state_messages[:1]
    points = _points(open_client(sandbox.base_url, domain_key))
    assert {("g", "s", "2026-01-01"): 1.0, ("g", "s", "2026-01-02"): 2.0}.items() <= points.items()
    assert ("g", "s", "2026-01-04") not in points


# -- replay -----------------------------------------------------------------------------------


def _add_input() -> tuple[Input, dict[tuple[str, str, str], float]]:
    """Add-method KPI rows in three segments (several batches each), and their totals."""
    totals, messages = _add_input_rows(36)
    return messages, totals


def _add_input_rows(rows: int) -> tuple[dict[tuple[str, str, str], float], Input]:
    """The first ``rows`` KPI rows, a STATE after every 12: their totals and the input."""
    messages = Input()
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    for n in range(rows):
        row = {
            "group": "shop",
            "statistic": f"s{n % 4}",
            "reference_date": f"2026-02-{1 + n % 3:02d}",
            "value": 1 + n % 5,
            "method": "add",
        }
        messages.record("kpis", row)
        totals[(row["group"], row["statistic"], row["reference_date"])] += row["value"]
        if (n + 1) % 12 == 0:
            messages.state("kpis", {"rows": n + 1})
    return dict(totals), messages


def _kpi_write(
    files: Files, sandbox: SandboxServer, key: str, lines: list[str], **settings: Any
) -> Run:
    config = _config(sandbox, key, stream_kinds={"kpis": "points"}, batch_size=5, **settings)
    run = _write(files, config, configured_catalog(("kpis",), schemas={"kpis": KPI_SCHEMA}), lines)
    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    return run


def test_an_add_load_written_twice_applies_each_value_once(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    messages, totals = _add_input()
    b = open_client(sandbox.base_url, domain_key)

    first = _kpi_write(files, sandbox, domain_key, messages.lines, load_id="load-1")
    assert _points(b) == totals
    second = _kpi_write(files, sandbox, domain_key, messages.lines, load_id="load-1")

    assert _points(b) == totals
    assert first.states == second.states == messages.state_messages
    # ... and never silently: the run's last LOG lines say so, per stream, and what to change
    logs = [m["log"]["message"] for m in second.of_type("LOG")]
    assert not any(
        "replays" in line for line in (m["log"]["message"] for m in first.of_type("LOG"))
    )
    (said,) = [line for line in logs[-3:] if "answered by the API as replays" in line]
    assert "stream 'kpis': 9 batch(es) (36 items)" in said  # 3 segments of 5 + 5 + 2
    assert "give each load its own load_id" in said
    # A new load (its own load_id) applies the same increments again: the check above can fail.
    _kpi_write(files, sandbox, domain_key, messages.lines, load_id="load-2")
    assert _points(b) == {key: 2 * value for key, value in totals.items()}
    # So does a run without load_id: each run is a load of its own.
    _kpi_write(files, sandbox, domain_key, messages.lines)
    assert _points(b) == {key: 3 * value for key, value in totals.items()}


def test_an_add_load_resumed_after_its_second_state_applies_each_value_once(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    messages, totals = _add_input()
    states = [n for n, line in enumerate(messages.lines, start=1) if '"STATE"' in line]
    cut = messages.lines[: states[1]]

    stopped = _kpi_write(files, sandbox, domain_key, cut, load_id="kpis-1")
    assert stopped.states == messages.state_messages[:2]
    resumed = _kpi_write(files, sandbox, domain_key, messages.lines, load_id="kpis-1")

    assert resumed.states == messages.state_messages
    assert _points(open_client(sandbox.base_url, domain_key)) == totals


def test_set_points_resumed_from_a_cut_leave_what_one_run_leaves(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    messages = Input()
    for segment in range(3):
        for day in range(1, 8):
            messages.record("points", _point("g", f"s{segment}", day, float(segment * 10 + day)))
        messages.state("points", {"segment": segment})
    once_key = sandbox.create_domain("airbyte-set-once")
    catalog = configured_catalog(("points",))
    one = _write(files, _config(sandbox, once_key, batch_size=3), catalog, messages.lines)
    assert one.returncode == 0, (one.errors, one.stderr[-2000:])
    cut = messages.lines[: [n for n, line in enumerate(messages.lines, 1) if '"STATE"' in line][1]]

    for lines in (cut, messages.lines):
        run = _write(files, _config(sandbox, domain_key, batch_size=3), catalog, lines)
        assert run.returncode == 0, (run.errors, run.stderr[-2000:])

    once = _points(open_client(sandbox.base_url, once_key))
    assert len(once) == 21
    assert _points(open_client(sandbox.base_url, domain_key)) == once


# -- logs -------------------------------------------------------------------------------------


def test_the_runs_logs_are_log_messages_on_stdout(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0))
    messages.state("points", {"cursor": 1})
    sandbox.add_fault(domain_key, status=503, path="/v1/api/points/batch", count=1, retry_after="0")
    started = time.monotonic()

    run = _write(
        files, _config(sandbox, domain_key), configured_catalog(("points",)), messages.lines
    )

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    assert time.monotonic() - started < 30
    logs = [m["log"] for m in run.of_type("LOG")]
    assert any("503" in log["message"] and "retr" in log["message"].lower() for log in logs), logs
    assert run.states == messages.state_messages
    assert sandbox.stats(domain_key)["faults"] == 1
    assert _points(open_client(sandbox.base_url, domain_key)) == {("g", "s", "2026-01-01"): 1.0}
    assert run.stderr.strip() == ""


def test_a_debug_run_logs_as_log_messages_and_never_prints_the_key(
    files: Files, sandbox: SandboxServer, domain_key: str
) -> None:
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0))
    messages.state("points", {"cursor": 1})
    config = _config(sandbox, domain_key)

    run = _write(files, config, configured_catalog(("points",)), messages.lines, "--debug")

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    levels = {m["log"]["level"] for m in run.of_type("LOG")}
    assert "DEBUG" in levels, run.type_counts()
    assert any("POST /v1/api/points/batch" in m["log"]["message"] for m in run.of_type("LOG"))
    assert run.states == messages.state_messages
    assert run.stderr.strip() == ""


# -- more settings, files and input forms -----------------------------------------------------


def test_a_write_with_a_refused_key_is_a_config_error_that_never_prints_the_key(
    files: Files, sandbox: SandboxServer
) -> None:
    unknown = "dk_" + "W" * 32
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0))
    messages.state("points", {"cursor": 1})
    config = _config(sandbox, unknown, max_retries=0)

    run = _write(files, config, configured_catalog(("points",)), messages.lines, "--debug")

    error = _one_error_with_stack(run)
    assert error["failure_type"] == "config_error"
    assert (
        "stream 'points', input line 1: Ossit refused the domain key (HTTP 401)"
        in (error["message"])
    )
    assert run.states == []


def test_check_and_write_never_print_the_budget_store_password(
    files: Files, sandbox: SandboxServer, domain_key: str
) -> None:
    password = "Sup3r-S3cret-Pw"
    config = _config(
        sandbox, domain_key, budget_url=f"redis://user:{password}@127.0.0.1:1/0", max_retries=0
    )

    run = _check(files, config, secrets=(domain_key, password))

    status = _status(run)
    assert status["status"] == "FAILED"
    assert "redis://user:***@127.0.0.1:1/0" in status["message"]
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0))
    messages.state("points", {"cursor": 1})
    catalog = configured_catalog(("points",))
    write = run_connector(
        DESTINATION, "write", "--config", files.json(config), "--catalog", files.json(catalog),
        "--debug", stdin="".join(line + "\n" for line in messages.lines).encode(),
        secrets=(domain_key, password),
    )  # fmt: skip
    error = _one_error_with_stack(write)
    assert error["failure_type"] == "transient_error"
    assert "redis://user:***@127.0.0.1:1/0" in error["message"]


def test_check_ignores_the_whitespace_around_a_key(
    files: Files, sandbox: SandboxServer, domain_key: str
) -> None:
    run = _check(files, _config(sandbox, f" {domain_key}\n"), secrets=(domain_key,))

    assert _status(run) == {"status": "SUCCEEDED"}


def test_a_catalog_file_that_is_not_json_is_a_config_error_naming_it(
    files: Files, sandbox: SandboxServer, domain_key: str, tmp_path: Path
) -> None:
    catalog = tmp_path / "broken-catalog.json"
    catalog.write_text("{nope")
    sandbox.reset_stats(domain_key)

    run = run_connector(
        DESTINATION,
        "write",
        "--config",
        files.json(_config(sandbox, domain_key), "config"),
        "--catalog",
        str(catalog),
        stdin=b"",
        secrets=(domain_key,),
    )

    error = _one_error(run)
    assert error["failure_type"] == "config_error"
    assert f"catalog file {catalog}: not valid JSON" in error["message"]
    assert sandbox.stats(domain_key)["requests"] == 0


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ({"type": "object", "properties": {"x": {"$ref": "https://example.com/s.json"}}},
         "points outside the stream's schema"),
        ({"type": "object", "properties": {"x": {"type": "no-such-type"}}}, "invalid schema"),
    ],
)  # fmt: skip
def test_a_catalog_schema_that_cannot_be_used_is_a_config_error_naming_the_stream(
    files: Files, sandbox: SandboxServer, domain_key: str, schema: dict[str, Any], says: str
) -> None:
    sandbox.reset_stats(domain_key)
    catalog = configured_catalog(("points",), schemas={"points": schema})

    run = _write(files, _config(sandbox, domain_key), catalog, [])

    error = _one_error(run)
    assert error["failure_type"] == "config_error"
    assert "catalog: stream 'points'" in error["message"]
    assert says in error["message"]
    assert sandbox.stats(domain_key)["requests"] == 0


def test_logs_traces_and_blank_lines_of_the_input_are_skipped_and_legacy_states_echoed(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0))
    messages.add({"type": "LOG", "log": {"level": "INFO", "message": "from the source"}})
    messages.add("")
    messages.add("   ")
    messages.add(
        {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 1, "error": {"message": "x"}}}
    )
    legacy = {"data": {"cursor": 1}}
    messages.add({"type": "STATE", "state": legacy})
    messages.record("points", _point("g", "s", 2, 2.0))
    per_stream = messages.state("points", {"cursor": 2})

    run = _write(
        files, _config(sandbox, domain_key), configured_catalog(("points",)), messages.lines
    )

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    assert run.states == [legacy, messages.state_messages[0]]
    assert per_stream == len(messages.lines)
    assert "from the source" not in json.dumps(run.messages)
    assert len(_points(open_client(sandbox.base_url, domain_key))) == 2


@pytest.mark.parametrize("process_deletes", [True, False])
def test_a_tombstone_deletes_unless_process_deletes_is_off(
    process_deletes: bool,
    files: Files,
    sandbox: SandboxServer,
    domain_key: str,
    open_client: OpenClient,
) -> None:
    b = open_client(sandbox.base_url, domain_key)
    b.points.batch(
        [
            {
                "group": "g",
                "statistic": "s",
                "reference_date": f"2026-01-0{day}",
                "value": day,
                "method": "set",
            }
            for day in (1, 2)
        ],
        create_missing=True,
    )
    messages = Input()
    messages.record("points", _point("g", "s", 1, 1.0, deleted_at=STAMP))
    messages.state("points", {"cursor": 1})
    config = _config(sandbox, domain_key, process_deletes=process_deletes)

    run = _write(files, config, configured_catalog(("points",)), messages.lines)

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    expected = {("g", "s", "2026-01-02"): 2.0}
    if not process_deletes:
        expected[("g", "s", "2026-01-01")] = 1.0
    assert _points(b) == expected


def test_add_records_after_the_last_state_are_held_back_and_the_resume_applies_them_once(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    messages, totals = _add_input()
    states = [n for n, line in enumerate(messages.lines, start=1) if '"STATE"' in line]
    cut = messages.lines[: states[0] + 3]  # the first segment, then 3 add rows and no STATE
    config = _config(sandbox, domain_key, stream_kinds={"kpis": "points"}, batch_size=5)
    catalog = configured_catalog(("kpis",), schemas={"kpis": KPI_SCHEMA})

    stopped = _write(files, config, catalog, cut)

    error = _one_error(stopped)
    assert "3 add/subtract/increment/decrement records" in error["message"]
    assert stopped.states == messages.state_messages[:1]
    first_segment, _ = _add_input_rows(12)
    b = open_client(sandbox.base_url, domain_key)
    assert _points(b) == first_segment
    resumed = _kpi_write(files, sandbox, domain_key, messages.lines[states[0] :])
    assert resumed.states == messages.state_messages[1:]
    assert _points(b) == totals
