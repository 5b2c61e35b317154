"""Looking inside a client's budget (file or Redis) the way the budget itself does: through
its store's one ``update``, so a test reads and writes the ledger on the store's clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ossit_client import OssitClient
from ossit_client._budget import Ledger


def change(client: OssitClient, edit: Callable[[Ledger, int], Any]) -> Any:
    """``edit(ledger, now_ms)`` on the client's shared ledger, kept."""
    return client._budget._store.update(edit)


def now_ms(client: OssitClient) -> int:
    """The budget store's clock."""
    return int(change(client, lambda ledger, now: now))


def pause_until_ms(client: OssitClient) -> int:
    """The instant before which no process sends (0: none)."""
    return int(change(client, lambda ledger, now: ledger.pause_until))


def count_since(client: OssitClient, since_ms: int) -> int:
    """Requests (and placeholders) the ledger counts at or after ``since_ms``."""
    return int(
        change(client, lambda ledger, now: sum(at >= since_ms for at in ledger.log.values()))
    )
