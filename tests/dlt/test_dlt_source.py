"""ossit_source into a real DuckDB through real dlt, against the sandbox.

What a dlt user is promised: every record arrives once, keyed by id and merged; a second
run with nothing changed costs one request per stream and loads nothing; a run stopped
half-way goes on at the page after the last one it loaded; tombstones arrive; ``groups``
reads each group as a sequence of its own; settings come from dlt's config and secrets;
the domain key is never written anywhere.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt_runs import KINDS, Warehouse, client, domain_ids
from ossit_dlt import ossit_source
from ossit_sandbox.generator import group_name
from ossit_sandbox.launcher import SandboxServer

PAGES = {"statistic_groups": 1, "statistics": 1, "points": 6, "intervals": 1}
"""Pages of the generated domain at page_size 100 (600 points)."""


@pytest.fixture
def generated(sandbox: SandboxServer, domain_key: str) -> dict[str, int]:
    """2 groups x 3 statistics x 100 days, 10 intervals (2 open, 1 deleted)."""
    return sandbox.generate(domain_key, groups=2, statistics=3, days=100, intervals=10, seed=3)


def test_full_then_incremental_reads_everything_once_then_one_request_per_stream(
    sandbox: SandboxServer,
    domain_key: str,
    settings: dict[str, Any],
    generated: dict[str, int],
    warehouse: Warehouse,
) -> None:
    sandbox.reset_stats(domain_key)
    loaded = warehouse.run(ossit_source(**settings, page_size=100))

    assert sandbox.stats(domain_key)["requests"] == sum(PAGES.values())  # one per page
    assert loaded == {kind: len(domain_ids(sandbox.base_url, domain_key, kind)) for kind in KINDS}
    for kind in KINDS:
        assert warehouse.ids(kind) == domain_ids(sandbox.base_url, domain_key, kind)

    sandbox.reset_stats(domain_key)
    assert warehouse.run(ossit_source(**settings, page_size=100)) == {}
    by_endpoint = sandbox.stats(domain_key)["by_endpoint"]
    assert by_endpoint == {
        "GET /v1/api/statistic-groups": 1,
        "GET /v1/api/statistics": 1,
        "GET /v1/api/points": 1,
        "GET /v1/api/intervals": 1,
    }

    with client(sandbox.base_url, domain_key) as ossit:
        group = next(iter(ossit.statistic_groups.list()))["name"]
        ossit.statistic_groups.update(group, description="renamed later")
    assert warehouse.run(ossit_source(**settings)) == {"statistic_groups": 1}
    assert (group, "renamed later") in warehouse.rows("statistic_groups", "name, description")


def test_a_run_stopped_after_two_pages_is_resumed_at_the_third(
    sandbox: SandboxServer,
    domain_key: str,
    settings: dict[str, Any],
    generated: dict[str, int],
    warehouse: Warehouse,
) -> None:
    source = ossit_source(**settings, page_size=100).with_resources("points").add_limit(2)
    assert warehouse.run(source) == {"points": 200}
    saved = warehouse.pipeline.state["sources"]["ossit"]["resources"]["points"]
    assert set(saved) == {"origin", "updated_at", "next_page"}  # the third page's cursor

    sandbox.reset_stats(domain_key)
    assert warehouse.run(ossit_source(**settings, page_size=100).with_resources("points")) == {
        "points": 400
    }
    assert sandbox.stats(domain_key)["requests"] == PAGES["points"] - 2  # pages 3 to 6 only
    assert warehouse.ids("points") == domain_ids(sandbox.base_url, domain_key, "points")


def test_a_run_failed_half_way_loads_nothing_twice_and_loses_nothing(
    sandbox: SandboxServer,
    domain_key: str,
    settings: dict[str, Any],
    generated: dict[str, int],
    warehouse: Warehouse,
) -> None:
    """dlt keeps a run's state with the data it extracted: a failed extraction keeps neither,
    and the next run starts from the last position saved (here: the start)."""
    sandbox.add_fault(domain_key, status=503, method="GET", path="/v1/api/points", count=1)
    failing = ossit_source(**settings, page_size=100, max_retries=0)
    with pytest.raises(PipelineStepFailed) as failed:
        warehouse.run(failing)
    assert "503" in str(failed.value)
    assert "ossit" not in warehouse.pipeline.state.get("sources", {})

    assert warehouse.run(ossit_source(**settings, page_size=100))["points"] == 600
    for kind in KINDS:
        assert warehouse.ids(kind) == domain_ids(sandbox.base_url, domain_key, kind)


def test_tombstones_arrive_by_default_and_not_without_include_deleted(
    sandbox: SandboxServer, domain_key: str, settings: dict[str, Any], warehouse: Warehouse
) -> None:
    with client(sandbox.base_url, domain_key) as ossit:
        ossit.points.batch(
            [
                {"group": g, "statistic": "orders", "reference_date": "2026-01-01", "value": 1}
                for g in ("kept", "gone")
            ],
            create_missing=True,
        )
    warehouse.run(ossit_source(**settings))
    with client(sandbox.base_url, domain_key) as ossit:
        ossit.statistic_groups.delete("gone")

    assert warehouse.run(ossit_source(**settings)) == {
        "statistic_groups": 1,
        "statistics": 1,
        "points": 1,
    }
    deleted = warehouse.rows("points", '"group", deleted_at is not null')
    assert sorted(deleted) == [("gone", True), ("kept", False)]

    live_only = ossit_source(**settings, include_deleted=False)
    other = Warehouse(warehouse.path.with_name("live.duckdb"), warehouse.pipeline)
    other.pipeline = dlt.pipeline(
        "live_only",
        destination=dlt.destinations.duckdb(str(other.path)),
        dataset_name="ossit",
        pipelines_dir=str(warehouse.path.parent / "dlt"),
    )
    assert other.run(live_only) == {"statistic_groups": 1, "statistics": 1, "points": 1}


def test_groups_are_partitions_each_with_its_own_position(
    sandbox: SandboxServer,
    domain_key: str,
    settings: dict[str, Any],
    generated: dict[str, int],
    warehouse: Warehouse,
) -> None:
    with client(sandbox.base_url, domain_key) as ossit:
        names = sorted(g["name"] for g in ossit.statistic_groups.list())
    chosen = names[0]
    loaded = warehouse.run(ossit_source(**settings, groups=[chosen]))

    assert loaded["points"] == 300
    assert {row[0] for row in warehouse.rows("points", '"group"')} == {chosen}
    saved = warehouse.pipeline.state["sources"]["ossit"]["resources"]["points"]
    assert set(saved["groups"]) == {chosen}

    sandbox.reset_stats(domain_key)
    assert warehouse.run(ossit_source(**settings, groups=[chosen])) == {}
    assert sandbox.stats(domain_key)["requests"] == 4  # one per stream: one group, one sequence


def test_settings_come_from_dlt_config_and_the_key_is_never_written(
    sandbox: SandboxServer,
    domain_key: str,
    generated: dict[str, int],
    warehouse: Warehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SOURCES__OSSIT__DOMAIN_KEY", domain_key)
    monkeypatch.setenv("SOURCES__OSSIT__BASE_URL", sandbox.base_url)
    monkeypatch.setenv("SOURCES__OSSIT__GROUPS", f'["{group_name(1)}"]')
    caplog.set_level(logging.DEBUG)

    loaded = warehouse.run(ossit_source())

    assert loaded["statistic_groups"] == 1
    logged = caplog.text + str(warehouse.pipeline.last_trace)
    assert domain_key not in logged
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".duckdb":
            assert domain_key.encode() not in path.read_bytes(), path


def test_a_bad_setting_names_it_and_masks_the_key(
    sandbox: SandboxServer, domain_key: str, settings: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"^ossit_source: start_date '\*\*\*' is not") as bad:
        ossit_source(**settings, start_date=domain_key)
    assert domain_key not in str(bad.value)
    with pytest.raises(ValueError, match="page_size: must be smaller than or equal to 1000"):
        ossit_source(**settings, page_size=5000)


def test_a_state_of_another_domain_is_refused_before_any_row(
    sandbox: SandboxServer,
    domain_key: str,
    settings: dict[str, Any],
    generated: dict[str, int],
    warehouse: Warehouse,
) -> None:
    warehouse.run(ossit_source(**settings))
    other = sandbox.create_domain("another", time_zone="UTC")

    with pytest.raises(PipelineStepFailed) as refused:
        warehouse.run(ossit_source(domain_key=other, base_url=sandbox.base_url))
    message = str(refused.value)
    assert "a state belongs to one domain" in message
    assert "refresh='drop_sources'" in message
    assert other not in message
