"""Idempotency keys that a resumed run derives again, so a resent batch is not applied twice.

A run killed after the API applied a batch but before the STATE that follows it was
released is resumed (as Meltano and the README do) from the last released STATE, with
the same input after it. The batches in flight at the kill are then sent again. For
`set` items and deletes that is harmless; for `add`, `subtract`, `increment` and
`decrement` it would count the values twice. So a batch carrying such an item is sent
with an `Idempotency-Key` derived from what identifies it in the input, not a random
one:

- its position: the index of the batch since the last STATE (or the start of input).
  Batches never span a STATE (the loader cuts them there, and drains only by size,
  stream switch, STATE and end of input, never by time), so both runs cut the input
  after that STATE into the same batches;
- its content: the exact items sent, so a different batch never shares a key (the API
  answers 409 to a key reused for another request);
- its stream, and the load: the `load_id` setting.

What makes two writes the same is therefore the load they belong to, and only whoever
runs the load knows that: input alone cannot tell a resume from a new push of the same
rows (an hourly `increment` of the same counter sends the same batch every hour). So the
default treats each run as a load of its own (a fresh id per run: the same push run twice
applies twice, never silently once), and a load whose resumes must be exact names itself
with `load_id` (a value its orchestrator keeps across retries, such as the date pushed):
resumed within the API's 24 hours with the same `load_id`, it applies every value exactly
once. Either way, every batch the API answers as a replay is counted and reported
(``report``), since a replay is right for a resume and a lost write for a new load.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from ossit_schemas import NON_IDEMPOTENT_POINT_METHODS


def needs_stable_key(items: Sequence[dict[str, Any]]) -> bool:
    """Whether applying the items twice differs from applying them once."""
    return any(item.get("method") in NON_IDEMPOTENT_POINT_METHODS for item in items)


def batch_key(load_id: str, stream: str, position: int, items: Sequence[dict[str, Any]]) -> str:
    """The batch's Idempotency-Key: a UUID-shaped digest of what identifies the batch."""
    digest = hashlib.sha256()
    for part in (load_id.encode(), stream.encode(), str(position).encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    digest.update(orjson.dumps(list(items), option=orjson.OPT_SORT_KEYS))
    return str(uuid.UUID(bytes=digest.digest()[:16]))
