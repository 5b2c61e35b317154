"""The plain loop target-ossit is measured against: lines, `orjson`, 1000-point batches.

It reads Singer messages from stdin and sends the `points` records to
`POST /v1/api/points/batch` (creating missing groups and statistics) in batches
of 1000, the API's maximum; a tombstone becomes a `delete` item. No validation,
no retries: it is only for a sandbox whose rate limit never binds.

    python -m bench.baseline_target --config config.json < points.singer
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson
import requests

from bench.baseline_tap import session_for

BATCH_SIZE = 1000


def batch_item(record: dict[str, Any]) -> dict[str, Any]:
    """The batch item that writes (or tombstones) one point record."""
    item = {
        "group": record["group"],
        "statistic": record["statistic"],
        "reference_date": record["reference_date"],
    }
    if record.get("deleted_at"):
        return item | {"delete": True}
    return item | {"value": record["value"], "method": "set"}


def send(session: requests.Session, url: str, items: list[dict[str, Any]]) -> None:
    body = orjson.dumps({"points": items, "create_missing": True})
    response = session.post(
        url, data=body, headers={"Content-Type": "application/json"}, timeout=120
    )
    response.raise_for_status()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    config = orjson.loads(parser.parse_args(argv).config.read_bytes())
    url = f"{config['base_url'].rstrip('/')}/v1/api/points/batch"
    state = None
    items: list[dict[str, Any]] = []
    with session_for(config["domain_key"]) as session:
        for line in sys.stdin.buffer:
            message = orjson.loads(line)
            if message["type"] == "RECORD" and message["stream"] == "points":
                items.append(batch_item(message["record"]))
                if len(items) == BATCH_SIZE:
                    send(session, url, items)
                    items = []
            elif message["type"] == "STATE":
                state = message["value"]
        if items:
            send(session, url, items)
    if state is not None:
        sys.stdout.buffer.write(orjson.dumps({"type": "STATE", "value": state}) + b"\n")


if __name__ == "__main__":
    main()
