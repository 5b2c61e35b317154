"""The ``check`` of every Ossit connector: one request that the key, the URL and the network
all have to answer, and a status that says which of them failed (see ``entrypoint``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_protocol_dataclasses.models import AirbyteConnectionStatus, Status
from ossit_client import OssitClient


def check_connection(config: Mapping[str, Any]) -> AirbyteConnectionStatus:
    """List one group: the cheapest request every key may make, reading or writing.

    A failure raises; the entry point turns it into a FAILED status with one readable line.
    """
    with OssitClient.from_config(config) as client:
        next(iter(client.statistic_groups.list(limit=1).pages()), None)
    return AirbyteConnectionStatus(status=Status.SUCCEEDED)
