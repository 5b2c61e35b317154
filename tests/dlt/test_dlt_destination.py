"""ossit_destination through real dlt into the sandbox: any dlt source's tables into Ossit.

A table loads as the kind it is named after or as ``kinds`` maps it; a load package's job
retried by dlt (within a load, or a package left pending and loaded again) applies every
value exactly once; deletes are applied; a bad row fails naming table, row and field; and
ossit_source of a domain A into ossit_destination of a domain B makes B hold what A holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dlt
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt_runs import client, domain_content
from ossit_dlt import ossit_destination, ossit_source
from ossit_sandbox.launcher import SandboxServer

Pipeline = Callable[..., dlt.Pipeline]


def kpis(rows: list[dict[str, Any]]) -> Any:
    """A dlt resource named ``kpis`` yielding ``rows``."""
    return dlt.resource(rows, name="kpis")


def add_rows(days: int) -> list[dict[str, Any]]:
    """One ``add`` of 1.5 per day to shop/orders: applied twice, a day shows 3.0."""
    return [
        {
            "group": "shop",
            "statistic": "orders",
            "reference_date": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}",
            "value": 1.5,
            "method": "add",
        }
        for day in range(days)
    ]


def points_of(sandbox: SandboxServer, key: str) -> dict[tuple[str, str, str], float]:
    with client(sandbox.base_url, key) as ossit:
        return {
            (p["group"], p["statistic"], p["reference_date"]): p["value"]
            for p in ossit.points.list()
        }


def test_a_job_retried_by_dlt_applies_every_value_exactly_once(
    sandbox: SandboxServer,
    domain_key: str,
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first batch is applied and its answer lost; the client may not retry, so the job
    fails; dlt gives up on the package after that one try (the package stays pending, as
    after a killed run), and ``load()`` runs the job again: the first batch is a replay."""
    monkeypatch.setenv("LOAD__RAISE_ON_MAX_RETRIES", "1")
    destination = ossit_destination(
        domain_key=domain_key,
        base_url=sandbox.base_url,
        kinds={"kpis": "points"},
        api_batch_size=100,
        max_retries=0,
    )
    loading = pipeline("kpis_to_ossit", destination)
    sandbox.add_fault(domain_key, method="POST", path="/v1/api/points/batch", drop=True)
    sandbox.reset_stats(domain_key)

    with pytest.raises(PipelineStepFailed, match="kpis"):
        loading.run(kpis(add_rows(250)))
    assert loading.list_normalized_load_packages()  # left pending
    caplog.set_level(logging.WARNING)
    loading.load()

    assert not loading.list_normalized_load_packages()
    assert set(points_of(sandbox, domain_key).values()) == {1.5}  # once each, 250 days
    assert len(points_of(sandbox, domain_key)) == 250
    batches = sandbox.stats(domain_key)["by_endpoint"]["POST /v1/api/points/batch"]
    assert batches == 4  # 1 lost answer, then 3 batches: the first a replay
    assert "table 'kpis': 1 batch(es) (100 items) were answered by the API as replays" in (
        caplog.text
    )


def test_each_load_package_is_a_load_of_its_own(
    sandbox: SandboxServer, domain_key: str, pipeline: Pipeline
) -> None:
    """The same add rows in two runs are two loads: both apply (never silently once)."""
    destination = ossit_destination(
        domain_key=domain_key, base_url=sandbox.base_url, kinds={"kpis": "points"}
    )
    loading = pipeline("kpis_twice", destination)
    loading.run(kpis(add_rows(3)))
    loading.run(kpis(add_rows(3)))
    assert set(points_of(sandbox, domain_key).values()) == {3.0}


def test_a_bad_row_fails_naming_table_row_and_field(
    sandbox: SandboxServer, domain_key: str, pipeline: Pipeline
) -> None:
    rows = [
        {"group": "shop", "statistic": "orders", "reference_date": "2026-01-01", "value": "1"},
        {"group": "shop", "statistic": "orders", "reference_date": "2026-01-02", "value": "2"},
        {"group": "shop", "statistic": "orders", "reference_date": "2026-01-03", "value": "1_000"},
    ]
    destination = ossit_destination(
        domain_key=domain_key, base_url=sandbox.base_url, kinds={"kpis": "points"}
    )
    with pytest.raises(PipelineStepFailed) as failed:
        pipeline("bad_rows", destination).run(kpis(rows))
    assert "ossit_destination failed: table 'kpis', row 3 of load job kpis." in str(failed.value)
    assert "field 'value'" in str(failed.value)
    assert points_of(sandbox, domain_key) == {}  # the batch of the bad row is never sent


def test_a_table_of_no_kind_is_refused_saying_how_to_map_it(
    sandbox: SandboxServer, domain_key: str, pipeline: Pipeline
) -> None:
    destination = ossit_destination(domain_key=domain_key, base_url=sandbox.base_url)
    with pytest.raises(PipelineStepFailed) as failed:
        pipeline("unmapped", destination).run(kpis(add_rows(1)))
    assert "table 'kpis': unknown stream 'kpis'" in str(failed.value)
    assert "stream_kinds" in str(failed.value)


def test_deletes_are_applied(sandbox: SandboxServer, domain_key: str, pipeline: Pipeline) -> None:
    day = {"group": "shop", "statistic": "orders", "value": 1.0}
    destination = ossit_destination(
        domain_key=domain_key, base_url=sandbox.base_url, kinds={"kpis": "points"}
    )
    loading = pipeline("deletes", destination)
    loading.run(kpis([{**day, "reference_date": d} for d in ("2026-01-01", "2026-01-02")]))
    tombstone = {**day, "reference_date": "2026-01-01", "deleted_at": "2026-02-01T00:00:00Z"}
    loading.run(kpis([tombstone]))
    assert points_of(sandbox, domain_key) == {("shop", "orders", "2026-01-02"): 1.0}


def test_domain_a_through_dlt_into_domain_b_makes_b_equal_a(
    sandbox: SandboxServer, domain_key: str, pipeline: Pipeline
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=3, days=40, intervals=12, seed=5)
    with client(sandbox.base_url, domain_key) as ossit:
        ossit.statistic_groups.update(
            next(iter(ossit.statistic_groups.list()))["name"], description="described"
        )
    key_b = sandbox.create_domain("domain B", time_zone="UTC")
    copy = pipeline("a_to_b", ossit_destination(domain_key=key_b, base_url=sandbox.base_url))

    copy.run(ossit_source(domain_key=domain_key, base_url=sandbox.base_url))
    assert domain_content(sandbox.base_url, key_b) == domain_content(sandbox.base_url, domain_key)

    with client(sandbox.base_url, domain_key) as ossit:
        ossit.statistic_groups.delete(next(iter(ossit.statistic_groups.list()))["name"])
    copy.run(ossit_source(domain_key=domain_key, base_url=sandbox.base_url))
    assert domain_content(sandbox.base_url, key_b) == domain_content(sandbox.base_url, domain_key)
