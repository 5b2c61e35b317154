"""Reading part of a domain: the groups setting, catalog selection, stream maps, flattening."""

from __future__ import annotations

import json
import math

from ossit_sandbox.launcher import SandboxServer
from tap_ossit.tap import TapOssit


def test_groups_reads_only_those_groups_one_request_sequence_each(
    sandbox: SandboxServer, domain_key: str, tap_config, tap, read_domain
) -> None:
    sandbox.generate(domain_key, groups=3, statistics=2, days=30, intervals=8, seed=51)
    everything = read_domain()
    names = sorted(g["name"] for g in everything["statistic_groups"].values())[:2]
    config = {**tap_config, "groups": names, "page_size": 25}
    sandbox.reset_stats(domain_key)

    run = tap(config)

    for stream, records in everything.items():
        field = "name" if stream == "statistic_groups" else "group"
        assert run.ids(stream) == {i for i, r in records.items() if r[field] in names}, stream
    requests = sandbox.stats(domain_key)["by_endpoint"]
    per_group = {
        name: sum(p["group"] == name for p in everything["points"].values()) for name in names
    }
    assert requests["GET /v1/api/points"] == sum(math.ceil(n / 25) for n in per_group.values())
    assert requests["GET /v1/api/statistics"] == len(names)
    assert requests["GET /v1/api/statistic-groups"] == 1  # that list has no group filter
    # The per-group reads are merged in (updated_at, id) order, so the bookmark is exact.
    updated = [r["updated_at"] for r in run.records["points"]]
    assert updated == sorted(updated)
    assert tap(config, run.final_state).id_sets() == {stream: set() for stream in everything}


def test_catalog_selects_streams_and_properties(
    sandbox: SandboxServer, domain_key: str, tap_config, tap
) -> None:
    sandbox.generate(domain_key, groups=1, statistics=2, days=5, intervals=2, seed=52)
    catalog = TapOssit(config=tap_config).catalog_dict
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "points"
            elif entry["breadcrumb"] == ["properties", "created_at"]:
                entry["metadata"]["selected"] = False

    run = tap(tap_config, catalog=catalog)

    assert {m["stream"] for m in run.messages if m["type"] in {"SCHEMA", "RECORD"}} == {"points"}
    assert len(run.records["points"]) == 10
    assert all("created_at" not in r and "updated_at" in r for r in run.records["points"])


def test_stream_maps_and_flattening_apply_to_every_record(
    sandbox: SandboxServer, domain_key: str, tap_config, tap, api
) -> None:
    api.statistic_groups.create("line")
    api.statistics.create("line", "speed", value=3, reference_date="2026-01-02")
    api.intervals.create(
        group="line", type="run", start="2026-01-01T00:00:00Z", metadata={"lot": {"no": 7}}
    )
    config = {
        **tap_config,
        "stream_maps": {
            "points": {"double": "value * 2"},
            "statistics": None,
            "points_copy": {"__source__": "points"},
        },
        "flattening_enabled": True,
        "flattening_max_depth": 2,
    }

    run = tap(config)

    assert "statistics" not in run.records
    (point,) = run.records["points"]
    assert point["double"] == 6
    assert run.records["points_copy"] == [{k: v for k, v in point.items() if k != "double"}]
    # metadata is a free object (no declared properties): flattening serialises it as JSON.
    (interval,) = run.records["intervals"]
    assert json.loads(interval["metadata"]) == {"lot": {"no": 7}}
    (schema,) = [m for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == "intervals"]
    assert schema["schema"]["properties"]["metadata"]["type"] == ["string", "null"]
