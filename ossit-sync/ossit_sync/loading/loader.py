"""The batch loader: records in, batches out in input order, states out once safe.

Protocol adapters (target-ossit for Singer, destination-ossit for Airbyte) hand it each
record with its stream, kind and input line, and each state message; it decides
everything else, in one place:

- a record is shaped into its API item on arrival (``items``), so a bad record fails
  on its own line; one older than a change already loaded for the same object (input
  out of order) is dropped (``superseded``);
- a batch holds one stream's items; it is handed to the sender when it is full
  (``batch_size``), when a record of another stream arrives (writes then happen in input
  order: a statistic exists before its points, a delete is never overtaken by an older
  write), at every state, and at the end;
- batches are sent one at a time on the sender's thread while the next is read, and a
  state is released only once every batch before it is acknowledged (``sender``);
- a batch that must not be applied twice carries a key a resumed run derives again
  (``replay``); such records after the last state are held back at the end, since the
  resume sends them (see ``finish``).

Batches are never cut by time: their boundaries depend on the input alone, which is what
lets a resumed run send the very batches an interrupted one sent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import cached_property

from ossit_client import OssitClient
from ossit_schemas import ORIGIN_FIELD

from ossit_sync.loading.destination import Destination
from ossit_sync.loading.errors import InputError, LoadError
from ossit_sync.loading.items import Record, shape
from ossit_sync.loading.replay import batch_key, needs_stable_key
from ossit_sync.loading.report import LoadReport
from ossit_sync.loading.sender import Sender, State
from ossit_sync.loading.superseded import SUPERSEDED, LatestChanges
from ossit_sync.loading.writes import Batch, send_batch

logger = logging.getLogger(__name__)


class BatchLoader:
    """Loads records into one Ossit domain, idempotently, in input order."""

    def __init__(
        self,
        client: Callable[[], OssitClient],
        write_state: Callable[[State], None],
        *,
        batch_size: int,
        load_id: str = "",
        process_deletes: bool = True,
        each_state: bool = False,
    ) -> None:
        """``each_state``: pass every state on (Airbyte's, one stream's each), not only the
        newest of those made safe at once (Singer's, which hold every stream's bookmarks).

        ``load_id`` names the load in its idempotency keys (see ``replay``); empty, the run
        is a load of its own.
        """
        self._client = client  # made on first use: describing a load needs none
        self.destination = Destination(client)
        self._sender = Sender(write_state, each_state=each_state)
        self.batch_size = batch_size
        self.load_id = load_id or f"run-{uuid.uuid4()}"
        self.report = LoadReport()
        self.process_deletes = process_deletes
        self._staged: Batch | None = None
        self._batches_since_state = 0
        self._latest = LatestChanges()

    def add(self, stream: str, kind: str, record: Record, line: int) -> None:
        """Stage one record of ``stream`` (of ``kind``), read at input ``line``."""
        if self._staged is not None and self._staged.stream != stream:
            self.flush()
        if not self.process_deletes and record.get("deleted_at") is not None:
            return
        origin = record.get(ORIGIN_FIELD)
        if origin is not None and origin == self._destination_origin:
            self.report.from_destination[stream] += 1  # already there: a copy onto itself
            return
        item = shape(kind, record, stream=stream, destination=self._client().origin)
        key = self._latest.observe(kind, item, record)
        if key is SUPERSEDED:
            logger.debug("stream '%s', input line %d: superseded by a later change", stream, line)
            return
        if self._staged is None:
            self._staged = Batch(stream, kind)
        self._staged.add(item, line, key)
        if len(self._staged.items) >= self.batch_size:
            self.flush()

    @cached_property
    def _destination_origin(self) -> str:
        """The origin records read from the destination itself carry."""
        return str(self._client().origin)

    def flush(self) -> None:
        """Hand the staged batch, if any, to the sender."""
        batch, self._staged = self._staged, None
        if batch is None or not batch.items:
            return
        position = self._batches_since_state  # taken in input order (see ``replay``)
        self._batches_since_state += 1
        self._sender.submit(lambda: self._send(batch, position))

    def state(self, state: State) -> None:
        """Cut the batch here, and release ``state`` once every batch before is acknowledged.

        No batch spans a state, so a run resumed from this state cuts the input after
        it into the same batches as this run did (see ``replay``).
        """
        self.flush()
        self._batches_since_state = 0
        self._sender.hold(state)

    def write_state_now(self, state: State) -> None:
        """Release ``state`` once everything handed over so far is acknowledged."""
        self._sender.write_now(state)

    def finish(self) -> int:
        """Send what is left and wait for it; how many records were held back.

        Add/subtract records after the last state are not sent (``hold_back_unsafe_tail``);
        the caller fails the run when there were any, so that the resume happens.
        """
        held_back = self.hold_back_unsafe_tail()
        self.flush()
        self._sender.wait()
        return held_back

    def hold_back_unsafe_tail(self) -> int:
        """Unstage add/subtract records read after the last state; how many there were.

        Such records are not covered by that state: the run resumed from it reads them
        again and cuts them into batches at that state. Sent now, cut by a signal or by
        input that stopped short (a killed source), the batch would not be the one the
        resume sends, the API could not tell it is a replay, and its values would count
        twice. Input that stops short cannot be told from input that is complete, so such
        records are applied only once a state follows them (or they fill a batch).
        ``set`` records and deletes are sent: harmless to repeat.
        """
        batch = self._staged
        if batch is None or not needs_stable_key(batch.items):
            return 0
        self._staged = None
        logger.warning(
            "%d add/subtract/increment/decrement records after the last STATE were not "
            "sent: a run resumed from that state sends them exactly once.",
            len(batch.items),
        )
        return len(batch.items)

    def settle(self) -> None:
        """After an error elsewhere: let the batch in flight finish and release its states."""
        self._sender.settle()

    def close(self) -> None:
        """Stop the sending thread (after the batch in flight)."""
        self._sender.close()

    def _send(self, batch: Batch, position: int) -> None:
        """Send one batch; any failure is blamed on its stream and input lines.

        The error is raised again on the reading thread while it handles a later line (or
        another stream), so it must carry its own location or it would name that one.
        """
        key = None
        if needs_stable_key(batch.items):
            key = batch_key(self.load_id, batch.stream, position, batch.items)
        client = self._client()
        replayed = client.counters.replayed
        try:
            send_batch(client, self.destination, batch, idempotency_key=key)
            if client.counters.replayed > replayed:  # one batch in flight at a time
                self.report.replayed(batch.stream, len(batch.items))
        except InputError:
            raise
        except Exception as exc:
            lines = batch.lines
            where = (
                f"input line {lines[0]}"
                if len(lines) == 1
                else f"input lines {lines[0]} to {lines[-1]}"
            )
            reason = f"sending the batch of {where} failed: {type(exc).__name__}: {exc}"
            raise LoadError(reason, stream=batch.stream, line=lines[0]) from exc


def held_back_error(held_back: int) -> InputError:
    """The error that fails a run whose input ended with add records and no state."""
    msg = (
        f"{held_back} add/subtract/increment/decrement records at the end of the input have "
        "no STATE after them and were not applied (input cut short cannot be told from "
        "complete input): resume from the last state passed on, or end the input with a "
        "STATE message, as every tap does"
    )
    return InputError(msg)
