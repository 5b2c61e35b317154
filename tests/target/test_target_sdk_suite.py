"""singer-sdk's target test suite, with the cases that apply to a target of fixed resources.

Taken from the SDK: the CLI prints, an invalid schema, a record before its schema and a
record missing its key property (error cases: they need no destination).  Left out: the
SDK's other files (array data, camelCase and special-character attributes, duplicate
records, schema and key updates, missing optional fields, no primary keys, ...) each
load an arbitrary stream into a table made for it; Ossit has no tables, only groups,
statistics, points and intervals of fixed shapes, so those streams are not Ossit records.
In their place, our own .singer files (``resources/``) in the same template: every kind
with tombstones, a stream mapped by ``stream_kinds``, and a schema change mid-stream.
The suite runs the target in-process, as the SDK's runner does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, TargetTestRunner, get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.target_tests import (
    TargetCliPrintsTest,
    TargetInvalidSchemaTest,
    TargetRecordBeforeSchemaTest,
    TargetRecordMissingKeyProperty,
)
from singer_sdk.testing.templates import TargetFileTestTemplate
from target_ossit.target import TargetOssit
from target_records import copied_external_id

RESOURCES = Path(__file__).parent / "resources"


class _OssitFileTest(TargetFileTestTemplate):
    """One of our .singer files, loaded, then the destination (``resource``) checked."""

    @property
    def singer_filepath(self) -> Path:  # type: ignore[override]
        """Our file of this name."""
        return RESOURCES / f"{self.name}.singer"


class TargetOssitAllKinds(_OssitFileTest):
    """Groups, statistics, points and intervals, with tombstones of each."""

    name = "ossit_all_kinds"

    def validate(self) -> None:
        """Live records as in the file; tombstoned ones absent; the last state passed on."""
        domain = self.resource
        groups = domain.records("statistic_groups")
        assert [(g["name"], g["description"]) for g in groups] == [("plant", "the plant")]
        statistics = domain.records("statistics")
        assert [(s["name"], s["unit"], s["value"]) for s in statistics] == [("output", "t", 3.5)]
        assert domain.points() == {
            ("plant", "output", "2025-05-01"): 1.5,
            ("plant", "output", "2025-05-02"): 2.5,
            ("plant", "output", "2025-05-03"): 3.5,
        }
        intervals = {i["external_id"]: i for i in domain.records("intervals")}
        copied = copied_external_id("int_1")  # no external_id: named by origin and id
        assert set(intervals) == {copied, "furnace-7"}
        assert intervals[copied]["duration"] == "PT8H0M0S"
        assert intervals[copied]["metadata"] == {"crew": "B"}
        last_state = self.runner.state_messages[-1]
        assert last_state == {"bookmarks": {"intervals": "2026-01-01T00:00:00.000000Z"}}


class TargetOssitMappedKpis(_OssitFileTest):
    """A stream of another tap, mapped to points by ``stream_kinds``."""

    name = "ossit_mapped_kpis"

    def validate(self) -> None:
        """Its records are points."""
        points = self.resource.points()
        assert points == {
            **{("web", "visits", f"2025-07-0{d}"): 100.0 * d for d in range(1, 6)},
            ("web", "signups", "2025-07-01"): 4.0,
        }


class TargetOssitSchemaChange(_OssitFileTest):
    """A new SCHEMA mid-stream: the SDK starts a second sink; input order must hold."""

    name = "ossit_schema_change"

    def validate(self) -> None:
        """Day 3, written by both sinks, holds the later value."""
        assert self.resource.points() == {
            ("g", "s", "2025-05-01"): 1.0,
            ("g", "s", "2025-05-02"): 2.0,
            ("g", "s", "2025-05-03"): 30.0,
            ("g", "s", "2025-05-04"): 40.0,
            ("g", "s", "2025-05-05"): 50.0,
        }


_SUITE = SingerTestSuite(
    kind="target",
    tests=[
        TargetCliPrintsTest,
        TargetInvalidSchemaTest,
        TargetRecordBeforeSchemaTest,
        TargetRecordMissingKeyProperty,
        TargetOssitAllKinds,
        TargetOssitMappedKpis,
        TargetOssitSchemaChange,
    ],
)

# Built at collection, before any sandbox runs: the runner and the destination are
# fixtures of the subclass below.
_SuiteBase: Any = get_target_test_class(
    TargetOssit, include_target_tests=False, custom_suites=[_SUITE], suite_config=SuiteConfig()
)


class TestTargetOssitSuite(_SuiteBase):
    """The suite, each test loading into a fresh sandbox domain."""

    @pytest.fixture
    def resource(self, destination: Any) -> Any:
        """The test's destination domain, read back through the API."""
        return destination

    @pytest.fixture
    def runner(self, sandbox: Any, domain_key: str) -> Iterator[TargetTestRunner]:
        """A runner configured for the test's domain; the SDK's test streams get a kind."""
        config = {
            "domain_key": domain_key,
            "base_url": sandbox.base_url,
            "stream_kinds": {
                "daily_kpis": "points",
                "test_record_missing_key_property": "points",
            },
        }
        runner = TargetTestRunner(TargetOssit, config=config)
        yield runner
        if runner.input_filepath is not None:
            runner.target_input.close()  # the SDK's runner leaves the file open
