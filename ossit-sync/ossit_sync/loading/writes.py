"""Sending one batch of items of one kind, and tracing a refusal back to its input line.

Points and intervals go through the batch endpoints, a thousand per request, all or
nothing, creating the groups and statistics they name when missing. Groups and
statistics are few: each item is one call, made only when the destination differs (see
``Destination``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ossit_client import APIStatusError, OssitClient, OssitError, UnprocessableEntityError
from ossit_schemas import KINDS

from ossit_sync.loading.destination import Destination
from ossit_sync.loading.errors import LoadError
from ossit_sync.loading.items import Item

BATCH_KINDS = frozenset(name for name, kind in KINDS.items() if kind.batch_endpoint)
"""Kinds written through a batch endpoint (``ossit_schemas.KINDS``)."""


def send_batch(
    client: OssitClient,
    destination: Destination,
    batch: Batch,
    *,
    idempotency_key: str | None,
) -> None:
    """Write the batch's items; a refusal is a ``LoadError`` naming the input line."""
    if batch.kind in BATCH_KINDS:
        destination.may_have_changed()
        try:
            getattr(client, batch.kind).batch(
                batch.items, create_missing=True, idempotency_key=idempotency_key
            )
        except OssitError as exc:
            raise load_error(exc, batch.lines, batch.stream) from exc
        return
    apply = (
        destination.apply_group if batch.kind == "statistic_groups" else destination.apply_statistic
    )
    for item, line in zip(batch.items, batch.lines, strict=True):
        try:
            apply(item)
        except OssitError as exc:
            raise load_error(exc, [line], batch.stream) from exc


@dataclass
class Batch:
    """Items of one stream (of one kind) to send together, and the input line of each."""

    stream: str
    kind: str
    items: list[Item] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    keys: dict[tuple[object, ...], int] = field(default_factory=dict)
    """Index of the item of each object (natural key), where the kind is tracked."""

    def add(self, item: Item, line: int, key: tuple[object, ...] | None) -> None:
        """Append ``item``; an item of the same object staged before it is taken out.

        The later change of an object supersedes an earlier one of the same batch, which
        then never reaches the API (see ``superseded``).
        """
        if key is not None:
            if (earlier := self.keys.get(key)) is not None:
                del self.items[earlier], self.lines[earlier]
                self.keys = {k: i - (i > earlier) for k, i in self.keys.items()}
            self.keys[key] = len(self.items)
        self.items.append(item)
        self.lines.append(line)


def load_error(exc: OssitError, lines: Sequence[int], stream: str) -> LoadError:
    """An API refusal, traced back to the input line of the item it names."""
    if isinstance(exc, UnprocessableEntityError):
        for problem in exc.items or []:
            index = problem.get("index")
            if isinstance(index, int) and 0 <= index < len(lines):
                return LoadError(
                    f"refused by the API: {problem.get('message') or exc.message}",
                    stream=stream,
                    line=lines[index],
                    field=problem.get("field"),
                )
    named = exc.field if isinstance(exc, APIStatusError) else None
    # Only an answer is a refusal; a connection error or a bad answer is not.
    what = "refused by the API" if isinstance(exc, APIStatusError) else "not sent"
    if len(lines) == 1:
        reason = f"{what}: {exc}"
    else:
        reason = f"{what} (batch of input lines {lines[0]} to {lines[-1]}): {exc}"
    return LoadError(reason, stream=stream, line=lines[0], field=named)
