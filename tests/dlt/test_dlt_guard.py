"""The dlt internals ossit-dlt relies on (all in ``ossit_dlt._dlt``) still behave as it assumes.

A custom destination with ``batch_size=0`` is handed a load job's file; ossit_destination
names the load after the package and the file id and reads the rows itself. A dlt upgrade
that changes how a job's file is named or written fails here, naming what changed, before
it can change which batches a retried job sends.
"""

from __future__ import annotations

import ast
import datetime
from pathlib import Path
from typing import Any

import dlt
import ossit_dlt
from ossit_dlt import _dlt

INTERNALS = ("dlt.common.storages", "dlt.common.json")
"""dlt modules that are not its documented API: used in ``ossit_dlt._dlt`` only."""


def test_job_files_are_read_as_dlt_wrote_them(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    @dlt.destination(batch_size=0, name="probe", loader_parallelism_strategy="sequential")
    def probe(items: str, table: Any) -> None:
        seen.append(
            {
                "job": _dlt.job_file(items),
                "rows": list(_dlt.rows(items)),
                "load_id": dlt.current.load_package_state()["load_id"],
            }
        )

    rows = [
        {"id": str(n), "day": datetime.date(2026, 1, n), "at": "2026-01-01T00:00:00.5Z", "v": 0.1}
        for n in range(1, 4)
    ]
    resource = dlt.resource(rows, name="probed", columns={"at": {"data_type": "timestamp"}})
    pipeline = dlt.pipeline("guard", destination=probe(), pipelines_dir=str(tmp_path))
    info = pipeline.run(resource)

    (call,) = seen
    assert call["load_id"] == info.loads_ids[0]
    assert call["job"].table == "probed"
    assert call["job"].file_id and call["job"].file_id in call["job"].name
    assert [row["id"] for row in call["rows"]] == ["1", "2", "3"]
    first = call["rows"][0]
    assert {name for name in first if name.startswith("_dlt_")} == {"_dlt_load_id", "_dlt_id"}
    assert first["day"] == datetime.date(2026, 1, 1)
    assert first["at"] == datetime.datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=datetime.UTC)
    assert first["v"] == 0.1


def test_only_the_internals_module_uses_dlt_internals() -> None:
    for path in Path(ossit_dlt.__file__).parent.glob("*.py"):
        if path.name == "_dlt.py":
            continue
        tree = ast.parse(path.read_text())
        imported = [
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        ]
        assert not [name for name in imported if name.startswith(INTERNALS)], path.name
