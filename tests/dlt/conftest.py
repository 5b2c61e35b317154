"""Fixtures of the dlt tests: pipelines whose files all live in the test's folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt_runs import Warehouse
from ossit_sandbox.launcher import SandboxServer


@pytest.fixture(scope="session", autouse=True)
def _no_telemetry() -> Iterator[None]:
    """dlt sends anonymous usage telemetry by default: never from a test (loopback only)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        yield


@pytest.fixture
def pipeline(tmp_path: Path) -> Callable[..., dlt.Pipeline]:
    """``pipeline(name, destination)``: a dlt pipeline working in the test's folder."""

    def make(name: str, destination: Any) -> dlt.Pipeline:
        return dlt.pipeline(
            name, destination=destination, dataset_name="ossit", pipelines_dir=str(tmp_path / "dlt")
        )

    return make


@pytest.fixture
def warehouse(tmp_path: Path, pipeline: Callable[..., dlt.Pipeline]) -> Warehouse:
    """A local DuckDB file and the pipeline loading ossit_source into it."""
    path = tmp_path / "warehouse.duckdb"
    return Warehouse(path, pipeline("ossit_to_duckdb", dlt.destinations.duckdb(str(path))))


@pytest.fixture
def settings(sandbox: SandboxServer, domain_key: str) -> dict[str, Any]:
    """ossit_source's settings for the test's own domain on the session sandbox."""
    return {"domain_key": domain_key, "base_url": sandbox.base_url}
