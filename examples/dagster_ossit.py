"""Ossit into DuckDB on a schedule with Dagster (``dagster-dlt``): one asset per resource.

``ossit_source``'s four resources become four Dagster assets (``dlt_ossit_statistic_groups``,
``dlt_ossit_statistics``, ``dlt_ossit_points``, ``dlt_ossit_intervals``), materialised by one
dlt run; the job runs daily. dlt keeps the positions in its pipeline state (in the
pipeline's working folder and in DuckDB), so each run reads only what changed.

    SOURCES__OSSIT__DOMAIN_KEY=... dagster dev -f dagster_ossit.py
"""

# No ``from __future__ import annotations`` here: Dagster reads the annotation of ``context``
# at definition time and refuses it as a string.
import os
from collections.abc import Iterator
from typing import Any

import dagster as dg
import dlt
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets
from ossit_dlt import ossit_source

WAREHOUSE = os.environ.get("OSSIT_WAREHOUSE", "warehouse.duckdb")


@dlt_assets(
    dlt_source=ossit_source(),
    dlt_pipeline=dlt.pipeline(
        "ossit_to_duckdb", destination=dlt.destinations.duckdb(WAREHOUSE), dataset_name="ossit"
    ),
    name="ossit",
    group_name="ossit",
)
def ossit_assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
    """One dlt run of the whole source: every asset is materialised by it."""
    yield from dlt.run(context=context)


ossit_job = dg.define_asset_job("ossit_to_duckdb", selection=[ossit_assets])
daily = dg.ScheduleDefinition(job=ossit_job, cron_schedule="0 3 * * *")

defs = dg.Definitions(
    assets=[ossit_assets],
    jobs=[ossit_job],
    schedules=[daily],
    resources={"dlt": DagsterDltResource()},
)
