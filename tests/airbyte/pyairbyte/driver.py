"""Runs steps with PyAirbyte, in PyAirbyte's own environment; the tests read its answers.

``python driver.py PLAN.json ANSWERS.json``: PLAN is ``{"source": exe, "destination": exe,
"steps": [...]}``; each step's answer (or the error it raised, by class and text) goes into
ANSWERS in order. Steps share one process (importing PyAirbyte takes seconds), and a read's
result stays available to the steps after it by the step's ``name``.

``python driver.py --serve PLAN.json FD``: the steps come one JSON line at a time on
standard input, and each answer goes as one JSON line to the file descriptor FD, so a test
can change the sandbox between two steps of one process.

This file runs under PyAirbyte's interpreter, not the workspace's: it imports nothing of
this repository.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

import airbyte as ab
from airbyte.caches import DuckDBCache
from airbyte_protocol.models import AirbyteMessage

PAYLOAD = {
    "RECORD": "record",
    "STATE": "state",
    "LOG": "log",
    "SPEC": "spec",
    "CONNECTION_STATUS": "connectionStatus",
    "CATALOG": "catalog",
    "TRACE": "trace",
}


def _cache(step: dict[str, Any]) -> DuckDBCache:
    return DuckDBCache(db_path=step["cache"], cache_dir=step["cache"] + ".files")


def _how(plan: dict[str, Any], step: dict[str, Any], connector: str) -> dict[str, Any]:
    """Run this repository's executable, or let PyAirbyte install the connector (``pip_url``)."""
    if "pip_url" in step:
        return {"pip_url": step["pip_url"], "install_if_missing": True}
    return {"local_executable": plan[connector]}


def _source(plan: dict[str, Any], step: dict[str, Any]) -> Any:
    return ab.get_source("source-ossit", config=step["config"], **_how(plan, step, "source"))


def _destination(plan: dict[str, Any], step: dict[str, Any]) -> Any:
    return ab.get_destination(
        "destination-ossit", config=step["config"], **_how(plan, step, "destination")
    )


def check(plan: dict[str, Any], step: dict[str, Any], kept: dict[str, Any]) -> Any:
    """``check()`` of the source or the destination."""
    connector = _destination(plan, step) if step.get("destination") else _source(plan, step)
    connector.check()
    return "SUCCEEDED"


def read(plan: dict[str, Any], step: dict[str, Any], kept: dict[str, Any]) -> Any:
    """``read()`` every stream into a DuckDB cache file; the cache's rows per stream."""
    cache = _cache(step)
    source = _source(plan, step)
    source.select_all_streams()
    result = source.read(cache=cache)
    kept[step["name"]] = result
    rows: dict[str, list[dict[str, Any]]] = {}
    with cache.get_sql_engine().connect() as connection:
        for stream in result.streams:
            table = result[stream].to_sql_table()
            selected = connection.execute(table.select()).mappings().all()
            rows[stream] = [
                {k: v for k, v in row.items() if not k.startswith("_airbyte_")} for row in selected
            ]
    return {"processed_records": result.processed_records, "rows": rows}


def write(plan: dict[str, Any], step: dict[str, Any], kept: dict[str, Any]) -> Any:
    """``write()`` a kept read result (its cache) with destination-ossit."""
    destination = _destination(plan, step)
    options = {"write_strategy": step["write_strategy"]} if "write_strategy" in step else {}
    result = destination.write(kept[step["read"]], **options)
    return {"processed_records": getattr(result, "processed_records", None)}


def validate(plan: dict[str, Any], step: dict[str, Any], kept: dict[str, Any]) -> Any:
    """Validate every line of the given files with the protocol's pydantic models."""
    problems = []
    count = 0
    for path in step["files"]:
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                count += 1
                try:
                    message = AirbyteMessage.model_validate_json(line)
                    payload = PAYLOAD[message.type.value]
                    if getattr(message, payload) is None:
                        raise ValueError(f"{message.type.value} message without {payload}")
                except Exception as exc:
                    problems.append(f"{path}:{number}: {exc}")
    return {"messages": count, "problems": problems}


def script(plan: dict[str, Any], step: dict[str, Any], kept: dict[str, Any]) -> Any:
    """Run Python ``code`` (a README snippet) with ``names`` defined; its ``result``'s count."""
    names = dict(step["names"])
    exec(step["code"], names)
    result = names.get("result")
    return {"processed_records": getattr(result, "processed_records", None)}


STEPS = {"check": check, "read": read, "write": write, "validate": validate, "script": script}


def _answer(plan: dict[str, Any], step: dict[str, Any], kept: dict[str, Any]) -> Any:
    """A step's answer, or the error it raised (class, text, context, traceback)."""
    try:
        return {"ok": STEPS[step["do"]](plan, step, kept)}
    except Exception as exc:
        context = getattr(exc, "context", None)
        return {
            "error": type(exc).__name__,
            "text": str(exc),
            "context": json.loads(json.dumps(context, default=str)) if context else None,
            "traceback": traceback.format_exc(),
        }


def serve(plan: dict[str, Any], answers_fd: int) -> None:
    """Steps from standard input, one answer line each to ``answers_fd``, until its end."""
    kept: dict[str, Any] = {}
    with open(answers_fd, "w", encoding="utf-8") as answers:
        for line in sys.stdin:
            answers.write(json.dumps(_answer(plan, json.loads(line), kept), default=str) + "\n")
            answers.flush()


def main() -> None:
    serving = sys.argv[1] == "--serve"
    with open(sys.argv[2 if serving else 1], encoding="utf-8") as file:
        plan = json.load(file)
    if serving:
        serve(plan, int(sys.argv[3]))
        return
    kept: dict[str, Any] = {}
    answers = [_answer(plan, step, kept) for step in plan["steps"]]
    with open(sys.argv[2], "w", encoding="utf-8") as file:
        json.dump(answers, file, default=str)


if __name__ == "__main__":
    main()
