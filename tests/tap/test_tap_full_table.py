"""A FULL_TABLE sync, chosen by catalog metadata: everything live, under one ACTIVATE_VERSION.

This is the route to hard deletes in targets that act on ACTIVATE_VERSION only (MeltanoLabs
target-postgres): rows of an older version are removed, so a record deleted in the domain,
absent from a full read without tombstones, goes.
"""

from __future__ import annotations

from typing import Any

from ossit_sandbox.launcher import SandboxServer
from tap_ossit.tap import TapOssit

FULL_TABLE_STREAMS = ("points", "intervals")


def _catalog(config: dict[str, Any]) -> dict[str, Any]:
    """The discovered catalog, `replication-method: FULL_TABLE` in points' and intervals'."""
    catalog = TapOssit(config=config).catalog_dict
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == [] and stream["tap_stream_id"] in FULL_TABLE_STREAMS:
                entry["metadata"]["replication-method"] = "FULL_TABLE"
    return catalog


def test_full_table_reads_every_live_record_under_one_activated_version(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli, api, read_domain
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=2, days=8, intervals=6, seed=61)
    config = {**tap_config, "page_size": 5}
    first = tap_cli.run(config)
    point = next(p for p in first.records["points"] if p["deleted_at"] is None)
    interval = next(i for i in first.records["intervals"] if i["deleted_at"] is None)
    api.statistics.delete_point(point["group"], point["statistic"], point["reference_date"])
    api.intervals.delete(interval["id"])
    full_table = {**config, "emit_activate_version_messages": True, "include_deleted": False}

    # Meltano's `metadata: {points: {replication-method: FULL_TABLE}}` writes this key.
    run = tap_cli.run(full_table, first.final_state, _catalog(config))

    domain = read_domain()
    live = {s: {i for i, r in rows.items() if not r["deleted_at"]} for s, rows in domain.items()}
    # Full table: every live record, though the state's bookmarks are past all of them.
    assert {s: run.ids(s) for s in FULL_TABLE_STREAMS} == {s: live[s] for s in FULL_TABLE_STREAMS}
    assert point["id"] not in run.ids("points")
    assert interval["id"] not in run.ids("intervals")
    # Incremental streams: only what changed since the bookmark (the deleted interval's
    # and point's parents are untouched, so nothing).
    assert run.ids("statistic_groups") == set()
    for stream in FULL_TABLE_STREAMS:
        messages = [m for m in run.messages if m.get("stream") == stream]
        (activate,) = [m for m in messages if m["type"] == "ACTIVATE_VERSION"]
        records = [m for m in messages if m["type"] == "RECORD"]
        assert messages.index(activate) < messages.index(records[0]), stream
        assert {m["version"] for m in records} == {activate["version"]}, stream
    assert not any(m["type"] == "ACTIVATE_VERSION" for m in first.messages)
    # A full read keeps no position: the bookmarks are those of the incremental run.
    for stream in FULL_TABLE_STREAMS:
        assert run.final_state["bookmarks"][stream] == first.final_state["bookmarks"][stream]


def test_the_catalog_entry_replication_method_selects_full_table_too(
    sandbox: SandboxServer, domain_key: str, tap_config, tap
) -> None:
    sandbox.generate(domain_key, groups=1, statistics=2, days=4, intervals=3, seed=62)
    first = tap(tap_config)
    catalog = TapOssit(config=tap_config).catalog_dict
    for stream in catalog["streams"]:
        if stream["tap_stream_id"] in FULL_TABLE_STREAMS:
            stream["replication_method"] = "FULL_TABLE"  # the SDK's own key

    run = tap({**tap_config, "emit_activate_version_messages": True}, first.final_state, catalog)

    assert {s: run.ids(s) for s in FULL_TABLE_STREAMS} == {
        s: first.ids(s) for s in FULL_TABLE_STREAMS
    }
    activated = {m["stream"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}
    assert activated == set(FULL_TABLE_STREAMS)
