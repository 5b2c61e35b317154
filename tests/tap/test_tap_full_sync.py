"""A full sync through the CLI: every record once, exact bookmarks, STATE as it goes, cost."""

from __future__ import annotations

import math

import ossit_schemas
from ossit_sandbox.launcher import SandboxServer
from tap_ossit.streams import STREAMS

PAGE_SIZE = 64


def test_streams_are_declared_parents_first() -> None:
    assert tuple(stream.name for stream in STREAMS) == ossit_schemas.RECORD_TYPES


def test_full_sync_emits_every_record_once_and_ends_on_the_exact_bookmark(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli, read_domain
) -> None:
    sandbox.generate(domain_key, groups=3, statistics=4, days=40, intervals=12, seed=3)

    run = tap_cli.run({**tap_config, "page_size": PAGE_SIZE})

    domain = read_domain()
    for stream, records in run.records.items():
        ids = [record["id"] for record in records]
        assert len(ids) == len(set(ids)), f"duplicate primary keys in {stream}"
    assert {stream: run.records[stream] for stream in domain} == {
        stream: sorted(records.values(), key=lambda r: (r["updated_at"], r["id"]))
        for stream, records in domain.items()
    }
    assert run.final_state == {
        "bookmarks": {
            stream: {
                "replication_key": "updated_at",
                "replication_key_value": max(r["updated_at"] for r in records.values()),
                "origin": next(iter(run.origins)),
            }
            for stream, records in domain.items()
        }
    }


def test_every_state_during_the_run_is_the_last_emitted_record(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=3, days=40, intervals=4, seed=4)

    run = tap_cli.run({**tap_config, "page_size": PAGE_SIZE})

    last_emitted: dict[str, str] = {}
    points_states = 0
    for message in run.messages:
        if message["type"] == "RECORD":
            last_emitted[message["stream"]] = message["record"]["updated_at"]
        elif message["type"] == "STATE":
            bookmarks = message["value"]["bookmarks"]
            for stream, emitted in last_emitted.items():
                assert bookmarks[stream]["replication_key_value"] == emitted
            points_states += "points" in last_emitted and "intervals" not in last_emitted
    # 240 points in pages of 64: a STATE after each page, before the stream ends.
    assert points_states >= math.ceil(240 / PAGE_SIZE)


def test_full_sync_costs_at_most_one_request_per_page_plus_one(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli
) -> None:
    sandbox.generate(domain_key, groups=3, statistics=5, days=30, intervals=70, seed=5)
    sandbox.reset_stats(domain_key)

    run = tap_cli.run({**tap_config, "page_size": PAGE_SIZE})

    requests = sandbox.stats(domain_key)["by_endpoint"]
    paths = {
        "statistic_groups": "GET /v1/api/statistic-groups",
        "statistics": "GET /v1/api/statistics",
        "points": "GET /v1/api/points",
        "intervals": "GET /v1/api/intervals",
    }
    assert len(run.records["points"]) == 450
    for stream, path in paths.items():
        emitted = len(run.records[stream])
        assert 1 <= requests[path] <= math.ceil(emitted / PAGE_SIZE) + 1, (stream, requests)
    assert sum(requests.values()) == sandbox.stats(domain_key)["requests"]
