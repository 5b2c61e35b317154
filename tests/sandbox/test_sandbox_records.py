"""Every record the sandbox answers conforms to the shared JSON Schemas, fields in their order."""

from __future__ import annotations

from typing import Any

import ossit_schemas
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from ossit_sandbox.demo import create_demo
from ossit_sandbox.launcher import SandboxServer
from sandbox_api import Api

PATHS = {
    "statistic_groups": "/statistic-groups",
    "statistics": "/statistics",
    "points": "/points",
    "intervals": "/intervals",
}


def _check(record_type: str, record: dict[str, Any]) -> None:
    """``record`` validates against its schema and has exactly its fields, in its order."""
    schema = ossit_schemas.record_schema(record_type)
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(record)
    assert tuple(record) == ossit_schemas.record_fields(record_type)


@pytest.mark.parametrize("record_type", ossit_schemas.RECORD_TYPES)
def test_list_answers_conform(sandbox: SandboxServer, make_api, record_type: str) -> None:
    generated = sandbox.create_domain("schema")
    sandbox.generate(generated, groups=2, statistics=2, days=20, intervals=15, seed=5)
    demo = create_demo(sandbox.db_path)
    for key in (generated, demo):
        api = make_api(sandbox, key)
        records = api.read_all(PATHS[record_type], include_deleted="true", limit=1000)
        assert records
        for record in records:
            _check(record_type, record)


def test_write_and_read_answers_conform(api: Api) -> None:
    """The record of every single-object answer: create, read, change, batch, delete."""
    answers: list[tuple[str, dict[str, Any]]] = []

    def keep(record_type: str, answer: Any, status: int = 200) -> dict[str, Any]:
        record = api.ok(answer, status)
        answers.append((record_type, record))
        return record

    def keep_all(record_type: str, answer: Any) -> None:
        for record in api.ok(answer)["data"]:
            answers.append((record_type, record))

    keep("statistic_groups", api.post("/statistic-groups", {"name": "g"}), 201)
    keep("statistic_groups", api.get("/statistic-groups/g"))
    keep("statistic_groups", api.put("/statistic-groups/g", {"description": "d"}))
    keep("statistic_groups", api.post("/statistic-groups/g", {"name": "h"}))
    statistic = {"group": "h", "name": "s", "value": 2, "reference_date": "2026-01-02"}
    keep("statistics", api.post("/statistics", statistic), 201)
    keep("statistics", api.post("/statistics", {"group": "h", "name": "empty"}), 201)
    keep("statistics", api.get("/statistics/h/s"))
    keep("statistics", api.post("/statistics/h/s", {"method": "add", "value": 3}))
    keep("statistics", api.put("/statistics/h/s", {"unit": "kg"}))
    items = [{"group": "h", "statistic": "s", "reference_date": f"2026-01-0{d}", "value": d}
             for d in (3, 4)]  # fmt: skip
    keep_all("points", api.post("/points/batch", {"points": items}))
    keep("points", api.delete("/statistics/h/s", reference_date="2026-01-03"))
    interval = {"group": "h", "type": "run", "start": "2026-01-02T08:00:00Z", "metadata": {}}
    opened = keep("intervals", api.post("/intervals", interval), 201)
    keep("intervals", api.put(f"/intervals/{opened['id']}", {"end": "2026-01-02T09:30:00Z"}))
    keep("intervals", api.get(f"/intervals/{opened['id']}"))
    batch = [{"external_id": "x", "group": "h", "type": "state", "start": "2026-01-02T10:00:00Z"}]
    keep_all("intervals", api.post("/intervals/batch", {"intervals": batch}))
    keep("intervals", api.delete(f"/intervals/{opened['id']}"))
    keep("statistics", api.delete("/statistics/h/empty", purge="true"))
    keep("statistic_groups", api.delete("/statistic-groups/h"))
    assert {record_type for record_type, _ in answers} == set(ossit_schemas.RECORD_TYPES)
    for record_type, record in answers:
        _check(record_type, record)
