"""A start date at the edge of the calendar either reads or is refused by name, never a 422.

The tap sends ``start_date`` as ``updated_since`` in the one form of the contract
(``ossit_schemas.values``): year 1 is ``0001-01-01T00:00:00.000000Z``, which the API reads
(``strftime`` once wrote it ``1-01-01``, and every read failed). A start date outside years
1 to 9999 in UTC is a setting error before any request.
"""

from __future__ import annotations

from typing import Any

from ossit_sandbox.launcher import SandboxServer


def test_a_start_date_in_year_1_reads_everything(
    tap_cli: Any, tap_config: dict[str, Any], sandbox: SandboxServer, domain_key: str
) -> None:
    sandbox.generate(domain_key, groups=1, statistics=2, days=3, intervals=2, seed=5)
    everything = tap_cli.run(tap_config)

    run = tap_cli.run({**tap_config, "start_date": "0001-01-01T00:00:00Z"})

    assert run.id_sets() == everything.id_sets()
    assert all(run.id_sets().values())


def test_a_start_date_outside_years_1_to_9999_is_refused_naming_it(
    tap_cli: Any, tap_config: dict[str, Any], sandbox: SandboxServer, domain_key: str
) -> None:
    sandbox.reset_stats(domain_key)

    run = tap_cli.run(
        {**tap_config, "start_date": "9999-12-31T23:59:59-01:00"}, expect_success=False
    )

    assert run.returncode != 0
    assert "start_date '9999-12-31T23:59:59-01:00' is not an ISO 8601 date-time" in run.stderr
    assert "9999-12-31T23:59:59.999999Z in UTC" in run.stderr
    assert sandbox.stats(domain_key)["requests"] == 0
