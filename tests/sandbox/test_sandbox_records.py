"""Every record the sandbox answers conforms to the shared JSON Schemas."""

from __future__ import annotations

import ossit_schemas
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from ossit_sandbox.demo import create_demo
from ossit_sandbox.launcher import SandboxServer

PATHS = {
    "statistic_groups": "/statistic-groups",
    "statistics": "/statistics",
    "points": "/points",
    "intervals": "/intervals",
}


@pytest.mark.parametrize("record_type", ossit_schemas.RECORD_TYPES)
def test_list_answers_conform(sandbox: SandboxServer, make_api, record_type: str) -> None:
    validator = Draft202012Validator(
        ossit_schemas.record_schema(record_type), format_checker=FormatChecker()
    )
    generated = sandbox.create_domain("schema")
    sandbox.generate(generated, groups=2, statistics=2, days=20, intervals=15, seed=5)
    demo = create_demo(sandbox.db_path)
    for key in (generated, demo):
        api = make_api(sandbox, key)
        records = api.read_all(PATHS[record_type], include_deleted="true", limit=1000)
        assert records
        for record in records:
            validator.validate(record)
            assert set(record) == set(validator.schema["properties"])
