"""Act on the quick start's sandbox domain as a user of Ossit would.

    python scripts/demo_changes.py units    # before the first sync: give each statistic its unit
    python scripts/demo_changes.py changes  # between the syncs: change a few things

`ossit-sandbox demo` creates its statistics through their points, so they have no unit; `units`
sets one per statistic, so the warehouse's `unit` column is filled. After `changes`, the next
incremental `meltano run tap-ossit target-duckdb` must move exactly the records changed (and the
statistics whose latest value they touched), which scripts/quickstart then shows.
Reads TAP_OSSIT_BASE_URL and TAP_OSSIT_DOMAIN_KEY from the environment.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, date, datetime, timedelta

from ossit_client import OssitClient


def _timestamp(moment: datetime) -> str:
    """The API's timestamp form (6 fractional digits, Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The unit of each of the demo's statistics (ossit_sandbox.demo.SERIES).
UNITS = {
    "page_views": "views",
    "unique_visitors": "visitors",
    "signups": "signups",
    "emails_sent": "emails",
    "jobs_run": "jobs",
    "job_failures": "jobs",
    "units_produced": "units",
    "scrap_units": "units",
    "downtime_minutes": "minutes",
}


def _client() -> OssitClient:
    base_url = os.environ["TAP_OSSIT_BASE_URL"]
    return OssitClient(os.environ["TAP_OSSIT_DOMAIN_KEY"], base_url=base_url)


def set_units(client: OssitClient) -> None:
    """Give every demo statistic without a unit the one in UNITS."""
    for stat in client.statistics.list():
        unit = UNITS.get(stat["name"])
        if unit is not None and not stat["unit"]:
            client.statistics.update_metadata(stat["group"], stat["name"], unit=unit)


def make_changes(client: OssitClient) -> None:
    """Describe a group, set a value last year, delete a day, close (or open) an interval."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("units", "changes"))
    args = parser.parse_args()
    with _client() as client:
        if args.command == "units":
            set_units(client)
        else:
            make_changes(client)


if __name__ == "__main__":
    main()
