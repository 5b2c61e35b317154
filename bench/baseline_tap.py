"""The plain loop tap-ossit is measured against: `requests` pages, `orjson` RECORD lines.

It reads the same pages as tap-ossit (every stream, `limit` = page size,
tombstones included) and writes the same Singer messages, with none of a
framework's work: no validation, no per-record hooks. Nothing here throttles or
retries, so it is only for a sandbox with a rate limit that never binds.

    python -m bench.baseline_tap --config config.json > out.singer
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import requests
from ossit_schemas import RECORD_TYPES, record_schema

PATHS = {
    "statistic_groups": "/v1/api/statistic-groups",
    "statistics": "/v1/api/statistics",
    "points": "/v1/api/points",
    "intervals": "/v1/api/intervals",
}
"""The list endpoint of each stream."""


def session_for(domain_key: str) -> requests.Session:
    """A keep-alive session that sends the domain key as a Bearer token."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {domain_key}"
    return session


def pages(
    session: requests.Session, base_url: str, path: str, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """Every page of one list, oldest change first, tombstones included."""
    params: dict[str, Any] = {"limit": page_size, "include_deleted": "true"}
    while True:
        response = session.get(f"{base_url}{path}", params=params, timeout=60)
        response.raise_for_status()
        page = orjson.loads(response.content)
        yield page["data"]
        if page["next_cursor"] is None:
            return
        params["cursor"] = page["next_cursor"]


def sync_stream(
    session: requests.Session, base_url: str, stream: str, page_size: int, out: BinaryIO
) -> str | None:
    """Write one stream's SCHEMA and RECORD lines; answer its last `updated_at`."""
    schema = {"type": "SCHEMA", "stream": stream, "schema": record_schema(stream)}
    schema |= {"key_properties": ["id"], "bookmark_properties": ["updated_at"]}
    out.write(orjson.dumps(schema) + b"\n")
    bookmark = None
    for records in pages(session, base_url, PATHS[stream], page_size):
        extracted = datetime.now(UTC).isoformat()
        out.writelines(
            orjson.dumps(
                {"type": "RECORD", "stream": stream, "record": record, "time_extracted": extracted}
            )
            + b"\n"
            for record in records
        )
        if records:
            bookmark = records[-1]["updated_at"]
    return bookmark


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    config = orjson.loads(parser.parse_args(argv).config.read_bytes())
    base_url = config["base_url"].rstrip("/")
    page_size = config.get("page_size", 1000)
    out = sys.stdout.buffer
    bookmarks = {}
    with session_for(config["domain_key"]) as session:
        for stream in RECORD_TYPES:
            bookmark = sync_stream(session, base_url, stream, page_size, out)
            bookmarks[stream] = {"replication_key": "updated_at", "replication_key_value": bookmark}
    out.write(orjson.dumps({"type": "STATE", "value": {"bookmarks": bookmarks}}) + b"\n")
    out.flush()


if __name__ == "__main__":
    main()
