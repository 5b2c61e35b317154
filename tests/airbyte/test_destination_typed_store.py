"""destination-ossit with a typed store's input (PyAirbyte's cache): exact, or refused.

The store's rows carry Airbyte's ``_airbyte_*`` columns. A number the stream's schema does
not keep as text came from a DECIMAL column that may have rounded it: refused by name. The
STATEs of a store's input are echoed once the input ends (PyAirbyte is still reading its
cache until then, and its state table cannot take them: see ``destination_ossit``), those
of a source's input as soon as their records are acknowledged.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from airbyte_runs import Files, configured_catalog, parse_message, run_connector
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer
from ossit_schemas import record_schema

DESTINATION = str(Path(sys.executable).with_name("destination-ossit"))
STORE_COLUMNS = {"_airbyte_raw_id": "06b0", "_airbyte_extracted_at": "2026-01-01T00:00:00"}
STAMP = "2026-01-01T00:00:00.000000Z"


def _record(stream: str, data: dict[str, Any]) -> bytes:
    message = {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1}}
    return json.dumps(message).encode() + b"\n"


def _state(stream: str) -> bytes:
    state = {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}}}
    return json.dumps({"type": "STATE", "state": state}).encode() + b"\n"


def _group(name: str) -> dict[str, Any]:
    return {
        "id": "grp_1", "name": name, "description": None,
        "created_at": STAMP, "updated_at": STAMP, "deleted_at": None,
    }  # fmt: skip


def _states_within(process: subprocess.Popen[bytes], seconds: float) -> list[dict[str, Any]]:
    """The STATE messages the process prints within ``seconds`` (stops at the first)."""
    assert process.stdout is not None
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([process.stdout], [], [], left)[0]:
            break
        line = process.stdout.readline()
        if not line:
            break
        message = parse_message(line.decode())
        if message["type"] == "STATE":
            return [message]
    return []


def test_a_store_s_number_from_a_decimal_column_is_refused_and_nothing_loads(
    files: Files, config: dict[str, Any]
) -> None:
    point = {
        "id": "pt_1", "statistic_id": "stat_1", "group": "g", "statistic": "s",
        "reference_date": "2026-01-02", "value": "1.234567890",
        "created_at": STAMP, "updated_at": STAMP, "deleted_at": None, **STORE_COLUMNS,
    }  # fmt: skip
    catalog = configured_catalog(("points",), schemas={"points": record_schema("points")})

    run = run_connector(
        "destination-ossit", "write",
        "--config", files.json(config), "--catalog", files.json(catalog),
        stdin=_record("points", point) + _state("points"), secrets=(config["domain_key"],),
    )  # fmt: skip

    assert run.returncode == 1
    (error,) = run.errors
    assert error["message"].startswith(
        "destination-ossit failed: "
        "stream 'points', input line 1, field 'value': '1.234567890' came from a typed "
        "store's DECIMAL column"
    )
    assert run.states == []
    with OssitClient(config["domain_key"], base_url=config["base_url"]) as api:
        assert list(api.points.list()) == []


def test_a_store_s_states_are_echoed_when_its_input_ends_a_source_s_at_once(
    files: Files, config: dict[str, Any], sandbox: SandboxServer
) -> None:
    catalog = files.json(configured_catalog(("statistic_groups",)))
    for from_store in (False, True):
        name = f"from-store-{from_store}"
        record = {**_group(name), **(STORE_COLUMNS if from_store else {})}
        with subprocess.Popen(
            [DESTINATION, "write", "--config", files.json(config), "--catalog", catalog],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ) as process:
            assert process.stdin is not None
            process.stdin.write(_record("statistic_groups", record) + _state("statistic_groups"))
            process.stdin.flush()
            early = _states_within(process, 3 if from_store else 30)
            with OssitClient(config["domain_key"], base_url=sandbox.base_url) as api:
                loaded = name in {g["name"] for g in api.statistic_groups.list()}
            process.stdin.close()
            late = _states_within(process, 30)

        assert process.returncode == 0
        if from_store:
            assert loaded, "the record was acknowledged before the input ended"
            assert (early, len(late)) == ([], 1)
        else:
            assert (len(early), late) == (1, [])
