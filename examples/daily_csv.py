"""Update Ossit series from a CSV file with dlt: ``daily.csv`` into ``ossit_destination``.

``daily.csv`` has the columns ``date,group,metric,value``, one row per metric and day.
dlt's ``filesystem`` source reads it (``read_csv``) when it changed since the last run, a
map renames the columns to the points shape, and ``kinds`` says the table holds points:
each ``(group, metric)`` is a statistic, each row its value that day (``set``: a row read
again sets the same value). Groups and statistics that do not exist yet are created.

    SOURCES__FILESYSTEM__BUCKET_URL=/data DESTINATION__OSSIT__DOMAIN_KEY=... python daily_csv.py
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.sources.filesystem import filesystem, read_csv
from ossit_dlt import ossit_destination


def as_point(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row as a point of Ossit."""
    return {
        "group": row["group"],
        "statistic": row["metric"],
        "reference_date": row["date"],
        "value": row["value"],
    }


def daily(folder: str = dlt.config.value) -> Any:
    """The rows of ``daily.csv`` in ``folder``, as the table ``daily``, when the file changed."""
    files = filesystem(bucket_url=folder, file_glob="daily.csv")
    files.apply_hints(incremental=dlt.sources.incremental("modification_date"))
    return (files | read_csv()).with_name("daily").add_map(as_point)


def pipeline(**destination: Any) -> dlt.Pipeline:
    """The pipeline loading ``daily`` into Ossit (the key from ``DESTINATION__OSSIT__...``)."""
    return dlt.pipeline(
        "daily_csv_to_ossit",
        destination=ossit_destination(kinds={"daily": "points"}, **destination),
    )


if __name__ == "__main__":
    print(pipeline().run(daily(dlt.config["sources.filesystem.bucket_url"])))
