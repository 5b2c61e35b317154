"""What a load did that its exit status cannot say: writes the API answered as replays,
records that were already where they were to be written.

Both are right in one case and a lost write in another, and only the person running the
load can tell which: a replay is right for a resume of the same load, and loses the values
of a new load that happened to send the very same batch; records read from the destination
itself change nothing there. So the loader counts them per stream, and every adapter ends
its run with these lines (``notices``), saying what to change if it was not meant.
"""

from __future__ import annotations

from collections import Counter

from ossit_schemas import ORIGIN_FIELD


class LoadReport:
    """Per stream: batches answered as replays (and their items), records from the destination."""

    def __init__(self) -> None:
        self.replayed_batches: Counter[str] = Counter()
        self.replayed_items: Counter[str] = Counter()
        self.from_destination: Counter[str] = Counter()

    def replayed(self, stream: str, items: int) -> None:
        """The API answered a batch of ``stream`` as a replay: nothing of it was applied now."""
        self.replayed_batches[stream] += 1
        self.replayed_items[stream] += items

    def notices(self) -> list[str]:
        """One line per stream with something to say (empty when nothing happened)."""
        lines = [
            f"stream '{stream}': {batches} batch(es) ({self.replayed_items[stream]} items) "
            "were answered by the API as replays of writes sent earlier with the same "
            "idempotency keys (within its 24 h) and were NOT applied again. Right if this run "
            "resumes a load with the same load_id; if it is a new load, those values are "
            "missing: give each load its own load_id (or leave load_id unset: each run is "
            "then a load of its own) and run it again"
            for stream, batches in sorted(self.replayed_batches.items())
        ]
        lines += [
            f"stream '{stream}': {count} record(s) were read from this very domain (their "
            f"{ORIGIN_FIELD} is the destination's): already there, so not written. Copying a "
            "domain onto itself changes nothing; check the key if another domain was meant"
            for stream, count in sorted(self.from_destination.items())
        ]
        return lines
