"""The bases of every resource: a kind's list and batch write, made from its declaration
(``ossit_schemas.KINDS``); a module of its own adds only its one-object calls."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ossit_schemas import LIST_FILTERS, PAGE_SIZE_MAX, Kind

if TYPE_CHECKING:
    from .._base_client import BaseClient
    from .._pagination import Paginator


class KindResource:
    """One kind of record: a handle on the client, and its list at ``kind.path``."""

    kind: ClassVar[Kind]

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def list(self, **filters: Any) -> Paginator:
        """Every record, oldest change first, filtered by the kind's ``filters`` and
        ``LIST_FILTERS`` (default: no tombstones, full pages); a filter the list does not
        take is a TypeError before any request, as a misspelled keyword would be."""
        names = (*self.kind.filters, *LIST_FILTERS)
        if unknown := sorted(filters.keys() - set(names)):
            raise TypeError(f"{self.kind.name}.list() takes no filter {', '.join(unknown)}")
        filters = {"include_deleted": False, "limit": PAGE_SIZE_MAX, **filters}
        return self._client.paginate(self.kind.path, {name: filters.get(name) for name in names})


class BatchWrites(KindResource):
    """A kind with a batch endpoint: up to 1000 writes per call, all or nothing."""

    def batch(
        self,
        items: Sequence[dict[str, Any]],
        create_missing: bool = False,
        *,
        idempotency_key: str | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Apply up to 1000 writes at once (all or nothing); returns the resulting records.
        ``idempotency_key`` names the batch for the API's 24 h replay protection (a fresh one
        per call when None)."""
        endpoint = self.kind.batch_endpoint
        if endpoint is None:  # a declaration without one given this base
            raise TypeError(f"{self.kind.name} have no batch endpoint")
        body = {self.kind.name: list(items), "create_missing": create_missing}
        return self._client.request_records(
            "POST", endpoint, body=body, idempotency_key=idempotency_key
        )


def present(**fields: Any) -> dict[str, Any]:
    """The fields that were given (not None), for bodies where absent means "unchanged"."""
    return {name: value for name, value in fields.items() if value is not None}
