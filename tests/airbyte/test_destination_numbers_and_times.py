"""destination-ossit and source-ossit keep numbers and times exactly or refuse them by name.

The same rule as target-ossit's and the sandbox's (``ossit_schemas.values``; see
tests/target/test_target_numbers_and_times.py): what target-ossit refuses, destination-ossit
refuses too, on the same field of the same kind of line, and a start date is one the reads
can send or a setting error naming ``start_date``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from airbyte_runs import Files, Run, configured_catalog, run_connector
from bad_numbers import BAD_TEXTS
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer
from ossit_schemas import record_schema

STAMP = "2026-01-01T00:00:00.000000Z"
ANY_OBJECT: dict[str, Any] = {"type": "object", "properties": {}}
"""The schema of a warehouse push: the records carry only what their kind needs."""

# Every form through the catalog's own schema (a typed cache hands numbers over as text); two
# through a schema that lets text through to the contract's rule.
CASES = [(case, False) for case in BAD_TEXTS] + [("underscore", True), ("beyond a double", True)]


@pytest.fixture
def client(sandbox: SandboxServer, domain_key: str) -> Iterator[OssitClient]:
    with OssitClient(domain_key, base_url=sandbox.base_url) as made:
        yield made


def _line(stream: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1}}
    )


def _state(stream: str) -> str:
    state = {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": stream}, "stream_state": {}},
    }
    return json.dumps({"type": "STATE", "state": state})


def _point(day: int, value: Any) -> dict[str, Any]:
    return {
        "id": f"pt_{day}", "statistic_id": "stat_1", "group": "g", "statistic": "s",
        "reference_date": f"2026-01-{day:02d}", "value": value,
        "created_at": STAMP, "updated_at": STAMP, "deleted_at": None,
    }  # fmt: skip


def _write(files: Files, config: dict[str, Any], schemas: dict[str, Any], lines: list[str]) -> Run:
    catalog = configured_catalog(tuple(schemas), schemas=schemas)
    return run_connector(
        "destination-ossit", "write",
        "--config", files.json(config, "config"), "--catalog", files.json(catalog, "catalog"),
        stdin="".join(line + "\n" for line in lines).encode(), secrets=(config["domain_key"],),
    )  # fmt: skip


def _error(run: Run) -> str:
    assert run.returncode == 1, (run.messages[-5:], run.stderr[-2000:])
    (error,) = run.errors
    return str(error["message"])


def _points(client: OssitClient) -> dict[str, float]:
    return {p["reference_date"]: p["value"] for p in client.points.list()}


@pytest.mark.parametrize(("case", "text_values"), CASES)
def test_a_value_whose_text_is_no_json_number_is_refused_on_its_line(
    case: str, text_values: bool, files: Files, config: dict[str, Any], client: OssitClient
) -> None:
    text, says = BAD_TEXTS[case]
    schema = copy.deepcopy(record_schema("points"))
    if text_values:
        schema["properties"]["value"] = {"type": ["number", "string"]}
    lines = [_line("points", _point(1, "12.500000000")), _state("points")]
    lines.append(_line("points", _point(2, text)))

    message = _error(_write(files, config, {"points": schema}, lines))

    assert f"stream 'points', input line {len(lines)}, field 'value'" in message
    assert says in message or (not text_values and "must be number" in message)
    assert _points(client) == {"2026-01-01": 12.5}


@pytest.mark.parametrize(
    ("number", "says"),
    [("1e400", "finite"), (str(2**53 + 1), "holds exactly"), (str(2**100 + 1), "holds exactly")],
)
def test_a_json_number_no_double_holds_exactly_is_refused_on_its_line(
    number: str, says: str, files: Files, config: dict[str, Any], client: OssitClient
) -> None:
    lines = [_line("points", _point(1, 1.0)), _state("points")]
    lines.append(_line("points", _point(2, 1.0)).replace('"value": 1.0', f'"value": {number}'))

    message = _error(_write(files, config, {"points": record_schema("points")}, lines))

    assert f"stream 'points', input line {len(lines)}, field 'value'" in message
    assert says in message
    assert _points(client) == {"2026-01-01": 1.0}


def _interval(metadata: dict[str, Any]) -> dict[str, Any]:
    return {"external_id": "run-1", "group": "g", "type": "run", "start": "0001-01-01T00:00:00Z",
            "end": "0999-12-31T23:59:59.999999Z", "metadata": metadata}  # fmt: skip


SCHEMAS = {"statistic_groups": ANY_OBJECT, "intervals": ANY_OBJECT}


def test_metadata_integers_within_64_bits_and_years_before_1000_are_kept_exactly(
    files: Files, config: dict[str, Any], client: OssitClient
) -> None:
    metadata = {"max": 2**63 - 1, "min": -(2**63), "odd": 2**53 + 1, "x": 0.1}
    lines = [_line("statistic_groups", {"name": "g"}), _line("intervals", _interval(metadata))]

    run = _write(files, config, SCHEMAS, [*lines, _state("intervals")])

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    (stored,) = client.intervals.list()
    assert stored["metadata"] == metadata
    assert (stored["start"], stored["end"]) == (
        "0001-01-01T00:00:00.000000Z", "0999-12-31T23:59:59.999999Z"
    )  # fmt: skip


def test_a_metadata_integer_beyond_64_bits_is_refused_on_its_line(
    files: Files, config: dict[str, Any], client: OssitClient
) -> None:
    lines = [_line("statistic_groups", {"name": "g"})]
    lines.append(_line("intervals", _interval({"n": 2**100 + 1})))

    message = _error(_write(files, config, SCHEMAS, lines))

    assert f"stream 'intervals', input line {len(lines)}, field 'metadata.n'" in message
    assert "within signed 64 bits" in message
    assert list(client.intervals.list()) == []


def test_a_state_holding_a_big_integer_is_passed_on_exactly(
    files: Files, config: dict[str, Any]
) -> None:
    state = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "points"},
                                          "stream_state": {"offset": 2**100 + 1}}}  # fmt: skip
    lines = [_line("points", _point(1, 1.0)), json.dumps({"type": "STATE", "state": state})]

    run = _write(files, config, {"points": record_schema("points")}, lines)

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    assert b'"offset":1267650600228229401496703205377' in run.stdout


# -- source-ossit: start_date ---------------------------------------------------------------


def _read(files: Files, config: dict[str, Any]) -> Run:
    return run_connector(
        "source-ossit", "read",
        "--config", files.json(config, "config"),
        "--catalog", files.json(configured_catalog(), "catalog"),
        secrets=(config["domain_key"],),
    )  # fmt: skip


def test_a_start_date_in_year_1_reads_everything(
    files: Files, config: dict[str, Any], sandbox: SandboxServer, domain_key: str
) -> None:
    sandbox.generate(domain_key, groups=1, statistics=2, days=3, intervals=2, seed=4)
    everything = _read(files, config)

    run = _read(files, {**config, "start_date": "0001-01-01T00:00:00Z"})

    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    assert run.counts() == everything.counts() != dict.fromkeys(everything.counts(), 0)


def test_a_start_date_outside_years_1_to_9999_is_a_config_error_naming_it(
    files: Files, config: dict[str, Any]
) -> None:
    run = _read(files, {**config, "start_date": "0001-01-01T00:00:00+01:00"})

    message = _error(run)
    assert "start_date '0001-01-01T00:00:00+01:00'" in message
    assert "0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z" in message
