"""tap-ossit -> target-ossit-migration (domain A into domain B) through `meltano run`."""

from __future__ import annotations

from typing import Any


def migrate(meltano: Any, base_url: str, source: str, destination: str, *flags: str) -> None:
    meltano.set(
        TAP_OSSIT_BASE_URL=base_url,
        TAP_OSSIT_DOMAIN_KEY=source,
        TARGET_OSSIT_MIGRATION_BASE_URL=base_url,
        TARGET_OSSIT_MIGRATION_DOMAIN_KEY=destination,
    )
    meltano("run", *flags, "tap-ossit", "target-ossit-migration")


def assert_same_domain(view_a: dict, view_b: dict) -> None:
    """Field-by-field equality, stream by stream, with a readable first difference."""
    for stream in view_a:
        a, b = view_a[stream], view_b[stream]
        only_a, only_b = set(a) - set(b), set(b) - set(a)
        assert not only_a and not only_b, f"{stream}: only in A {only_a}, only in B {only_b}"
        for key in a:
            assert a[key] == b[key], f"{stream} {key}"


def test_migration_twice_then_with_faults(
    meltano, sandbox, domain_key, domain_view, ossit, sandbox_factory
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=3, days=30, intervals=10, seed=3)
    destination = sandbox.create_domain("e2e-migration-b")
    source_view = domain_view(sandbox.base_url, domain_key)
    assert source_view["points"] and source_view["intervals"]

    migrate(meltano, sandbox.base_url, domain_key, destination)
    assert_same_domain(source_view, domain_view(sandbox.base_url, destination))

    # Again from scratch: nothing may change (no duplicates, no doubled values).
    migrate(meltano, sandbox.base_url, domain_key, destination, "--full-refresh")
    assert_same_domain(source_view, domain_view(sandbox.base_url, destination))

    # A change in A, then an incremental run, carries it over (deletes included).
    client = ossit(domain_key)
    stat = next(iter(client.statistics.list()))
    client.statistics.set_value(stat["group"], stat["name"], 99, reference_date="2024-02-29")
    client.statistics.delete_point(stat["group"], stat["name"], stat["reference_date"])
    migrate(meltano, sandbox.base_url, domain_key, destination)
    assert_same_domain(
        domain_view(sandbox.base_url, domain_key), domain_view(sandbox.base_url, destination)
    )

    # A faulty server: 10% of requests fail with 5xx, 5% of writes lose their answer.
    faulty = sandbox_factory(fail_rate=0.1, drop_rate=0.05, fault_seed=5)
    source = faulty.create_domain("e2e-faulty-a")
    faulty.generate(source, groups=2, statistics=3, days=30, intervals=10, seed=3)
    target = faulty.create_domain("e2e-faulty-b")
    expected = domain_view(faulty.base_url, source)
    for refresh in ((), ("--full-refresh",)):
        migrate(meltano, faulty.base_url, source, target, "--state-id-suffix=faulty", *refresh)
        assert_same_domain(expected, domain_view(faulty.base_url, target))
    assert faulty.stats(target)["faults"] > 0
