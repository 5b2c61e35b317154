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
- its stream, and the `load_id` setting.

The API keeps a key 24 hours: a resume within that window applies every value exactly
once. The same add batch at the same position sent again within 24 hours is, by this
rule, a replay; a load that must apply identical increments again (an hourly job
pushing the same rows with `add`) gives each load its own `load_id`, and a resume of
that load reuses it.
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
