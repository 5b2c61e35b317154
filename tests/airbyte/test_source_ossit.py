"""source-ossit as Airbyte runs it: a process, its files, its messages, against the sandbox.

Every run's standard output is checked line by line against the protocol's models
(``airbyte_runs.run_connector``); these tests check what the messages say.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from airbyte_runs import STREAM_NAMES, Files, Run, configured_catalog, run_connector
from ossit_client import OssitClient
from ossit_client.settings import CONNECTION_SETTINGS
from ossit_sandbox.launcher import SandboxServer
from ossit_schemas import stream_schema
from ossit_sync.reading.settings import READ_SETTINGS

SOURCE = "source-ossit"


def run_read(
    files: Files,
    config: dict[str, Any],
    *,
    state: Any = None,
    catalog: dict[str, Any] | None = None,
    debug: bool = False,
) -> Run:
    """One ``source-ossit read`` (of every stream, unless ``catalog`` says otherwise)."""
    args = ["read", "--config", files.json(config, "config")]
    args += ["--catalog", files.json(catalog or configured_catalog(), "catalog")]
    if state is not None:
        args += ["--state", files.json(state, "state")]
    if debug:
        args.append("--debug")
    return run_connector(SOURCE, *args, secrets=(config["domain_key"],))


def read(
    files: Files,
    config: dict[str, Any],
    *,
    state: list[dict[str, Any]] | None = None,
    catalog: dict[str, Any] | None = None,
) -> Run:
    """One ``source-ossit read``, which must succeed."""
    run = run_read(files, config, state=state, catalog=catalog)
    assert run.returncode == 0, run.messages[-3:]
    return run


def config_error(run: Run) -> str:
    """The message of the one ``config_error`` a failed read ended with."""
    assert run.returncode == 1
    (error,) = run.errors
    assert error["failure_type"] == "config_error"
    message: str = error["message"]
    return message


@pytest.fixture
def domain(sandbox: SandboxServer, domain_key: str) -> dict[str, int]:
    """The test's domain, generated, with a deleted statistic (and so deleted points)."""
    counts = sandbox.generate(domain_key, groups=2, statistics=3, days=12, intervals=5, seed=3)
    with OssitClient(domain_key, base_url=sandbox.base_url) as api:
        statistic = next(iter(api.statistics.list()))
        api.statistics.purge(statistic["group"], statistic["name"])
    return counts


def test_spec_is_the_shared_settings_with_secrets_marked() -> None:
    (message,) = run_connector(SOURCE, "spec").messages
    spec = message["spec"]
    properties = spec["connectionSpecification"]["properties"]

    assert list(properties) == [*CONNECTION_SETTINGS, *READ_SETTINGS]
    assert {name for name, p in properties.items() if p.get("airbyte_secret")} == {
        "domain_key",
        "budget_url",
    }
    assert [p["order"] for p in properties.values()] == list(range(len(properties)))
    assert spec["connectionSpecification"]["required"] == ["domain_key"]
    assert spec["supportsIncremental"] is True


def test_check_succeeds_with_one_request(
    sandbox: SandboxServer, domain_key: str, files: Files, config: dict[str, Any]
) -> None:
    sandbox.reset_stats(domain_key)
    run = run_connector(SOURCE, "check", "--config", files.json(config), secrets=(domain_key,))

    assert run.returncode == 0
    assert run.of_type("CONNECTION_STATUS")[-1]["connectionStatus"] == {"status": "SUCCEEDED"}
    assert sandbox.stats(domain_key)["requests"] == 1


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"domain_key": "not-a-key-of-this-sandbox"}, "refused the domain key (HTTP 401)"),
        ({"page_size": 0}, "setting 'page_size'"),
        ({"start_date": "yesterday"}, "start_date 'yesterday' is not an ISO 8601 date-time"),
        ({"base_url": "http://example.com"}, "base_url"),
        ({"max_retries": "8"}, "setting 'max_retries'"),
        ({"domain_key": None}, "setting 'domain_key'"),
    ],
)
def test_check_fails_readably_for_a_config_that_cannot_work(
    files: Files, config: dict[str, Any], change: dict[str, Any], says: str
) -> None:
    secret = config["domain_key"]
    run = run_connector(
        SOURCE, "check", "--config", files.json({**config, **change}), secrets=(secret,)
    )

    assert run.returncode == 0  # a failed check is an answer, not a crash
    (status,) = run.of_type("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    assert says in status["connectionStatus"]["message"]
    assert "Traceback" not in run.stderr + json.dumps(run.messages)


def test_check_names_a_config_file_it_cannot_read(tmp_path: Path) -> None:
    broken = tmp_path / "config.json"
    broken.write_text("{not json")
    for path in (broken, tmp_path / "missing.json"):
        run = run_connector(SOURCE, "check", "--config", str(path))
        (status,) = run.of_type("CONNECTION_STATUS")
        assert status["connectionStatus"]["status"] == "FAILED"
        assert f"config file {path}" in status["connectionStatus"]["message"]


def test_discover_offers_the_four_kinds_incremental_on_updated_at(
    files: Files, config: dict[str, Any]
) -> None:
    (message,) = run_connector(SOURCE, "discover", "--config", files.json(config)).messages
    streams = message["catalog"]["streams"]

    assert [s["name"] for s in streams] == list(STREAM_NAMES)
    for stream in streams:
        expected = stream_schema(stream["name"])
        for definition in expected["properties"].values():
            if "number" in definition["type"]:  # a typed store keeps its text, not a DECIMAL
                definition["airbyte_type"] = "string"
        assert stream["json_schema"] == expected
        assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
        assert stream["source_defined_cursor"] is True
        assert stream["default_cursor_field"] == ["updated_at"]
        assert stream["source_defined_primary_key"] == [["id"]]


def test_read_emits_every_record_a_state_per_page_and_the_minimum_of_requests(
    sandbox: SandboxServer,
    domain_key: str,
    files: Files,
    config: dict[str, Any],
    domain: dict[str, int],
) -> None:
    sandbox.reset_stats(domain_key)
    run = read(files, {**config, "page_size": 7})

    counts = run.counts()
    expected = {k: domain[k] for k in ("statistic_groups", "statistics", "points", "intervals")}
    assert {k: counts[k] for k in ("statistic_groups", "intervals")} == {
        k: expected[k] for k in ("statistic_groups", "intervals")
    }
    assert counts["statistics"] == expected["statistics"]  # the purged one as a tombstone
    assert any(r["deleted_at"] for r in run.records["statistics"])
    assert any(r["deleted_at"] for r in run.records["points"])
    # One request per page: the records of each stream in pages of 7 (and one empty page
    # at most: the API may only know a list ended after one more request).
    requests = sandbox.stats(domain_key)["by_endpoint"]
    for stream, path in [
        ("statistic_groups", "statistic-groups"),
        ("statistics", "statistics"),
        ("points", "points"),
        ("intervals", "intervals"),
    ]:
        pages = -(-counts[stream] // 7)
        assert requests[f"GET /v1/api/{path}"] in (pages, pages + 1), stream
        states = [s for s in run.states if s["stream"]["stream_descriptor"]["name"] == stream]
        assert len(states) == pages
        assert sum(s["sourceStats"]["recordCount"] for s in states) == counts[stream]
        assert run.statuses(stream) == ["STARTED", "RUNNING", "COMPLETE"]
    # Parents before children, records in (updated_at, id) order within a stream.
    streams = [m["record"]["stream"] for m in run.of_type("RECORD")]
    assert streams == sorted(streams, key=STREAM_NAMES.index)
    for records in run.records.values():
        keys = [(r["updated_at"], r["id"]) for r in records]
        assert keys == sorted(keys)


def test_the_same_records_and_requests_as_tap_ossit(
    sandbox: SandboxServer,
    domain_key: str,
    files: Files,
    config: dict[str, Any],
    domain: dict[str, int],
) -> None:
    settings = {**config, "page_size": 9}
    sandbox.reset_stats(domain_key)
    source = read(files, settings)
    source_requests = sandbox.stats(domain_key)["by_endpoint"]

    sandbox.reset_stats(domain_key)
    tap = subprocess.run(
        [str(Path(sys.executable).with_name("tap-ossit")), "--config", files.json(settings)],
        capture_output=True,
        check=True,
        timeout=300,
    )
    tap_records: dict[str, list[dict[str, Any]]] = {}
    for line in tap.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            tap_records.setdefault(message["stream"], []).append(message["record"])

    assert dict(source.records) == tap_records
    assert sandbox.stats(domain_key)["by_endpoint"] == source_requests


def test_a_second_read_returns_only_what_changed(
    sandbox: SandboxServer,
    domain_key: str,
    files: Files,
    config: dict[str, Any],
    domain: dict[str, int],
) -> None:
    first = read(files, config)
    point = first.records["points"][3]
    interval = next(i for i in first.records["intervals"] if i["deleted_at"] is None)
    with OssitClient(domain_key, base_url=sandbox.base_url) as api:
        api.statistics.set_value(
            point["group"],
            point["statistic"],
            point["value"] + 5,
            reference_date=point["reference_date"],
        )
        api.intervals.delete(interval["id"])

    sandbox.reset_stats(domain_key)
    second = read(files, config, state=first.last_states())

    assert second.counts() == {"statistic_groups": 0, "statistics": 0, "points": 1, "intervals": 1}
    assert second.records["points"][0]["value"] == point["value"] + 5
    assert second.records["intervals"][0]["deleted_at"] is not None
    assert sandbox.stats(domain_key)["requests"] == 4  # one list request per stream

    third = read(files, config, state=second.last_states())
    assert third.counts() == dict.fromkeys(STREAM_NAMES, 0)


def test_a_read_resumed_from_any_state_continues_without_gap_or_repeat(
    files: Files, config: dict[str, Any], domain: dict[str, int]
) -> None:
    settings = {**config, "page_size": 5}
    whole = read(files, settings)
    points = [r["id"] for r in whole.records["points"]]

    for index in (1, len(whole.states) // 2, len(whole.states) - 2):
        cut = whole.states[: index + 1]
        last: dict[str, dict[str, Any]] = {}
        for state in cut:
            last[state["stream"]["stream_descriptor"]["name"]] = state
        resumed = read(files, settings, state=list(last.values()))
        before = [
            m["record"]["data"]["id"]
            for m in whole.messages[: whole.messages.index({"type": "STATE", "state": cut[-1]})]
            if m["type"] == "RECORD" and m["record"]["stream"] == "points"
        ]
        assert before + [r["id"] for r in resumed.records["points"]] == points, index


def test_groups_are_read_and_resumed_each_from_its_own_position(
    files: Files, config: dict[str, Any], domain: dict[str, int]
) -> None:
    everything = read(files, config)
    groups = sorted(g["name"] for g in everything.records["statistic_groups"])
    settings = {**config, "groups": groups, "page_size": 4}

    first = read(files, settings)
    assert {p["group"] for p in first.records["points"]} == set(groups)
    assert len(first.records["points"]) == len(everything.records["points"])
    points_state = first.last_states()[2]["stream"]["stream_state"]
    assert set(points_state["groups"]) == set(groups)

    again = read(files, settings, state=first.last_states())
    assert again.counts() == dict.fromkeys(STREAM_NAMES, 0)
    # A group added to the setting later starts from the whole kind's bookmark (none
    # here: so from the beginning), the others from their own.
    one = read(files, {**config, "groups": groups[:1]})
    more = read(files, {**config, "groups": groups}, state=one.last_states())
    assert {p["group"] for p in more.records["points"]} == {groups[1]}


def test_full_refresh_reads_everything_each_time_and_ends_with_one_empty_state(
    files: Files, config: dict[str, Any], domain: dict[str, int]
) -> None:
    catalog = configured_catalog(("points",), sync_mode="full_refresh")
    first = read(files, {**config, "page_size": 10}, catalog=catalog)
    second = read(files, {**config, "page_size": 10}, catalog=catalog, state=first.last_states())

    assert first.records["points"] == second.records["points"] != []
    assert [s["stream"]["stream_state"] for s in first.states] == [{}]
    assert first.states[0]["sourceStats"]["recordCount"] == len(first.records["points"])
    assert set(first.records) == {"points"}


def test_include_deleted_false_leaves_tombstones_out(
    files: Files, config: dict[str, Any], domain: dict[str, int]
) -> None:
    run = read(files, {**config, "include_deleted": False})
    assert run.records["points"]
    assert not any(r["deleted_at"] for rs in run.records.values() for r in rs)


@pytest.mark.parametrize(
    ("status", "failure_type"),
    [(401, "config_error"), (403, "config_error"), (500, "transient_error")],
)
def test_a_failing_read_ends_with_one_trace_error_of_the_right_type(
    sandbox: SandboxServer,
    domain_key: str,
    files: Files,
    config: dict[str, Any],
    domain: dict[str, int],
    status: int,
    failure_type: str,
) -> None:
    sandbox.add_fault(domain_key, status=status, path="/v1/api/points", count=100)
    run = run_read(files, {**config, "max_retries": 0})

    assert run.returncode == 1
    (error,) = run.errors
    assert error["failure_type"] == failure_type
    assert error["stream_descriptor"] == {"name": "points"}
    assert "stream 'points'" in error["message"]
    assert run.statuses("points") == ["STARTED", "INCOMPLETE"]
    assert run.statuses("statistics")[-1] == "COMPLETE"
    assert run.of_type("TRACE")[-1]["trace"]["type"] == "ERROR"  # the last word
    assert "stack_trace" not in error
    assert "Traceback" not in run.stderr + json.dumps(run.messages)
    if status != 500:
        assert f"refused the domain key (HTTP {status})" in error["message"]


@pytest.mark.parametrize(
    ("catalog", "state", "says"),
    [
        ({"streams": [{"stream": {"name": "x"}}]}, None, "catalog file"),
        (
            configured_catalog(("points", "widgets"), schemas={"widgets": {"type": "object"}}),
            None,
            "stream 'widgets' is not a stream of source-ossit",
        ),
        (configured_catalog(), {"updated_at": "x"}, "legacy state object is not supported"),
        (
            configured_catalog(),
            [
                {
                    "type": "STREAM",
                    "stream": {
                        "stream_descriptor": {"name": "points"},
                        "stream_state": {"updated_at": "never"},
                    },
                }
            ],
            "state of stream 'points': bookmark 'never' is not a timestamp",
        ),
    ],
)
def test_bad_catalogs_and_states_are_config_errors_naming_what_is_wrong(
    files: Files,
    config: dict[str, Any],
    catalog: dict[str, Any],
    state: Any,
    says: str,
) -> None:
    run = run_read(files, config, catalog=catalog, state=state)

    assert says in config_error(run)


def test_logs_are_log_messages_and_debug_adds_the_traceback(
    sandbox: SandboxServer,
    domain_key: str,
    files: Files,
    config: dict[str, Any],
    domain: dict[str, int],
) -> None:
    sandbox.add_fault(domain_key, status=503, path="/v1/api/statistics", count=1)
    run = read(files, config)
    logs = [m["log"] for m in run.of_type("LOG")]
    assert any("503" in log["message"] for log in logs), logs

    sandbox.add_fault(domain_key, status=500, path="/v1/api/points", count=100)
    failed = run_read(files, {**config, "max_retries": 0}, debug=True)
    (error,) = failed.errors
    assert "Traceback" in error["stack_trace"]
    assert any(m["log"]["level"] == "DEBUG" for m in failed.of_type("LOG"))


def test_start_date_bounds_a_first_read_and_a_later_bookmark_wins_over_it(
    files: Files, config: dict[str, Any], domain: dict[str, int]
) -> None:
    everything = read(files, config)
    points = everything.records["points"]
    start = points[len(points) // 2]["updated_at"]

    first = read(files, {**config, "start_date": start})

    assert [r["id"] for r in first.records["points"]] == [
        r["id"] for r in points if r["updated_at"] >= start
    ]
    # A state past the start date: the state decides, the record at its bookmark not again.
    again = read(files, {**config, "start_date": start}, state=everything.last_states())
    assert again.counts() == dict.fromkeys(STREAM_NAMES, 0)
    # A start date past the state: the start date decides.
    later = read(files, {**config, "start_date": "2999-01-01T00:00:00Z"}, state=first.last_states())
    assert later.counts() == dict.fromkeys(STREAM_NAMES, 0)


def _with_blob(states: list[dict[str, Any]], change: Any) -> list[dict[str, Any]]:
    """The states, each stream's blob changed by ``change(blob)`` (a copy)."""
    changed = json.loads(json.dumps(states))
    for state in changed:
        change(state["stream"]["stream_state"])
    return changed


def test_every_state_and_record_names_its_origin_and_a_foreign_state_is_refused(
    sandbox: SandboxServer, domain_key: str, files: Files, config: dict[str, Any], domain: Any
) -> None:
    first = read(files, config)
    origins = {s["stream"]["stream_state"]["origin"] for s in first.states}
    assert len(origins) == 1 and next(iter(origins)).endswith("@" + sandbox.base_url)
    assert {r["_ossit_origin"] for rs in first.records.values() for r in rs} == origins
    other = sandbox.create_domain("source-ossit: the key changed")
    sandbox.generate(other, groups=1, statistics=1, days=3, intervals=1, seed=1)
    other_config = {**config, "domain_key": other}

    run = run_read(files, other_config, state=first.last_states())

    message = config_error(run)
    assert not any(run.records.values())
    assert "a state belongs to one domain" in message
    assert "clear the state" in message
    # under another spelling of the same server's URL, the state is this domain's own
    localhost = {**config, "base_url": sandbox.base_url.replace("127.0.0.1", "localhost")}
    assert read(files, localhost, state=first.last_states()).counts() == dict.fromkeys(
        STREAM_NAMES, 0
    )


def test_a_future_bookmark_is_refused_and_a_forged_cursor_never_followed(
    sandbox: SandboxServer, domain_key: str, files: Files, config: dict[str, Any], domain: Any
) -> None:
    first = read(files, config)
    future = _with_blob(
        first.last_states(), lambda blob: blob.update(updated_at="2099-01-01T00:00:00Z")
    )
    run = run_read(files, config, state=future)

    assert "later than the server's present" in config_error(run)

    with OssitClient(domain_key, base_url=sandbox.base_url) as api:
        api.points.batch(
            [{"group": "later", "statistic": "s", "reference_date": "2026-01-01", "value": 1}],
            create_missing=True,
        )

    def forge(blob: dict[str, Any]) -> None:
        blob["next_page"] = {"after": blob["updated_at"], "cursor": "ZZZZ", "signature": "0" * 32}

    forged = read(files, config, state=_with_blob(first.last_states(), forge))
    assert forged.counts()["points"] == 1

    def as_written_by_0_2_0(blob: dict[str, Any]) -> None:
        del blob["origin"]
        blob["next_page"] = {"after": blob["updated_at"], "cursor": "eyJ4IjoxfQ"}

    old = read(files, config, state=_with_blob(first.last_states(), as_written_by_0_2_0))
    assert old.counts()["points"] == 1
    assert all(s["stream"]["stream_state"]["origin"] for s in old.states)
