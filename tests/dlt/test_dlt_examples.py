"""The examples the README shows, run as they are: the CSV recipe and the Dagster assets."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from dlt_runs import Warehouse, client
from ossit_sandbox.launcher import SandboxServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` afresh (it reads its settings when imported)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dlt_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """dlt's pipelines (and Dagster's instance) in the test's folder, not the user's home."""
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def write_daily(folder: Path, rows: list[str]) -> None:
    path = folder / "daily.csv"
    path.write_text("date,group,metric,value\n" + "\n".join(rows) + "\n")
    stat = path.stat()  # a new modification time even within the same second
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_the_csv_recipe_makes_ossit_hold_exactly_the_file(
    sandbox: SandboxServer, domain_key: str, dlt_home: Path
) -> None:
    recipe = example("daily_csv")
    folder = dlt_home / "data"
    folder.mkdir()
    rows = ["2026-01-01,shop,orders,12", "2026-01-02,shop,orders,15.5", "2026-01-01,web,visits,7"]
    write_daily(folder, rows)
    pipeline = recipe.pipeline(domain_key=domain_key, base_url=sandbox.base_url)

    pipeline.run(recipe.daily(str(folder)))
    rows[1] = "2026-01-02,shop,orders,16.25"  # a value edited
    rows.append("2026-01-03,shop,orders,9")  # and a day added
    write_daily(folder, rows)
    pipeline.run(recipe.daily(str(folder)))

    with client(sandbox.base_url, domain_key) as ossit:
        held = {(p["reference_date"], p["group"], p["statistic"], p["value"])
                for p in ossit.points.list()}  # fmt: skip
    in_file = {(d, g, m, float(v)) for d, g, m, v in (row.split(",") for row in rows)}
    assert held == in_file


# Dagster 1.13 itself still calls a pydantic v1 API while it builds a run's config.
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")
def test_the_dagster_example_materialises_one_asset_per_resource_on_a_schedule(
    sandbox: SandboxServer, domain_key: str, dlt_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=2, days=10, intervals=4, seed=1)
    monkeypatch.setenv("SOURCES__OSSIT__DOMAIN_KEY", domain_key)
    monkeypatch.setenv("SOURCES__OSSIT__BASE_URL", sandbox.base_url)
    monkeypatch.setenv("OSSIT_WAREHOUSE", str(dlt_home / "warehouse.duckdb"))
    monkeypatch.setattr(sys, "argv", ["dagster"])
    dagster_example = example("dagster_ossit")
    import dagster as dg

    result = dg.materialize(
        [dagster_example.ossit_assets], resources=dagster_example.defs.resources
    )

    assert result.success
    materialised = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
    assert materialised == {
        "dlt_ossit_statistic_groups",
        "dlt_ossit_statistics",
        "dlt_ossit_points",
        "dlt_ossit_intervals",
    }
    assert dagster_example.daily.cron_schedule == "0 3 * * *"
    assert dagster_example.daily.job_name == "ossit_to_duckdb"
    warehouse = Warehouse(dlt_home / "warehouse.duckdb", pipeline=None)  # type: ignore[arg-type]
    assert len(warehouse.rows("points")) == 40
