"""Migration: domain A through tap-ossit into an empty domain B, both real CLIs.

A is generated (three groups of three statistics, a year of points each, open, closed
and deleted intervals), then changed through the API so that it also holds a deleted
group, a deleted statistic, a deleted day and described groups and statistics.  B must
then list the same records as A, field by field, but for what differs between domains
by nature: ids, parent ids, created/updated stamps and, for an interval copied without
an external id, the external id (B's is A's id).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from ossit_client import NotFoundError


def _fill_source(server: Any, key: str, source: Any) -> None:
    server.generate(key, groups=3, statistics=3, days=365, intervals=30, seed=11)
    api = source.client
    api.statistic_groups.create("doomed", description="deleted below")
    api.statistics.create("doomed", "s", value=1, reference_date="2025-01-01", unit="u")
    api.statistic_groups.update("group-001", description="described")
    api.statistics.update_metadata("group-002", "statistic-003", unit="m", description="d")
    # A lost answer is retried; a retried delete finds the object gone already.
    with suppress(NotFoundError):
        api.statistic_groups.delete("doomed")
    with suppress(NotFoundError):
        api.statistics.purge("group-001", "statistic-002")
    with suppress(NotFoundError):
        api.statistics.delete_point("group-002", "statistic-001", "2025-06-01")


def _assert_same_records(source: Any, copy: Any) -> None:
    expected = source.contents()
    assert copy.contents() == expected
    assert len(expected["points"]) == 3 * 3 * 365 - 365 - 1
    assert sorted(i["external_id"] or i["id"] for i in source.records("intervals")) == sorted(
        i["external_id"] for i in copy.records("intervals")
    )


def test_a_domain_round_trips_and_a_second_migration_changes_nothing(
    sandbox: Any, domain_key: str, extract: Any, target_cli: Any, open_domain: Any
) -> None:
    source_key = sandbox.create_domain("round-trip-source")
    source = open_domain(sandbox.base_url, source_key)
    _fill_source(sandbox, source_key, source)
    copy = open_domain(sandbox.base_url, domain_key)

    first = target_cli.run(extract(sandbox.base_url, source_key))
    assert first.returncode == 0, first.stderr[-3000:]
    _assert_same_records(source, copy)
    after_first = copy.snapshot()

    second = target_cli.run(extract(sandbox.base_url, source_key))
    assert second.returncode == 0, second.stderr[-3000:]
    assert copy.snapshot() == after_first  # not one record rewritten: updated_at unchanged
    assert second.states[-1] == first.states[-1]


def test_a_round_trip_through_failing_and_dropped_requests_gives_the_same_result(
    sandbox_factory: Any, extract: Any, target_cli: Any, open_domain: Any
) -> None:
    server = sandbox_factory(fail_rate=0.1, drop_rate=0.05, fault_seed=3)
    source_key = server.create_domain("faulty-source")
    copy_key = server.create_domain("faulty-copy")
    source = open_domain(server.base_url, source_key)
    _fill_source(server, source_key, source)

    run = target_cli.run(
        extract(server.base_url, source_key), domain_key=copy_key, base_url=server.base_url
    )

    assert run.returncode == 0, run.stderr[-3000:]
    _assert_same_records(source, open_domain(server.base_url, copy_key))
    assert server.stats(copy_key)["faults"] > 0
