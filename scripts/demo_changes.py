"""Make a few changes in the quick start's sandbox domain, as a user of Ossit would.

The next incremental `meltano run tap-ossit target-duckdb` must move exactly these records
(and the statistics whose latest value they touched), which scripts/quickstart then shows.
Reads TAP_OSSIT_BASE_URL and TAP_OSSIT_DOMAIN_KEY from the environment.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

from ossit_client import OssitClient


def _timestamp(moment: datetime) -> str:
    """The API's timestamp form (6 fractional digits, Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main() -> None:
    base_url = os.environ["TAP_OSSIT_BASE_URL"]
    with OssitClient(os.environ["TAP_OSSIT_DOMAIN_KEY"], base_url=base_url) as client:
        group = next(iter(client.statistic_groups.list()))
        client.statistic_groups.update(group["name"], description="Edited by the quick start")
        print(f"  described group   {group['name']!r}")

        stats = list(client.statistics.list())
        first, second = stats[0], stats[-1]
        last_year = (date.today() - timedelta(days=365)).isoformat()
        client.statistics.set_value(first["group"], first["name"], 42, reference_date=last_year)
        print(f"  set a value       {first['group']} / {first['name']} @ {last_year} = 42")

        if second["reference_date"]:
            day = second["reference_date"]
            client.statistics.delete_point(second["group"], second["name"], day)
            print(f"  deleted a day     {second['group']} / {second['name']} @ {day}")

        open_interval = next((i for i in client.intervals.list() if i["end"] is None), None)
        now = datetime.now(UTC)
        if open_interval is not None:
            # Close it now, or an hour after its start if the demo started it in the future.
            start = datetime.fromisoformat(open_interval["start"])
            end = max(now, start + timedelta(hours=1))
            client.intervals.update(open_interval["id"], end=_timestamp(end))
            print(f"  closed interval   {open_interval['type']} {open_interval['name']!r}")
        else:
            created = client.intervals.create(
                group=group["name"], type="custom", name="Quick start", start=_timestamp(now)
            )
            print(f"  opened interval   custom {created['name']!r}")


if __name__ == "__main__":
    main()
