"""The bases of every resource: a handle on the client, and what is the same for every kind.

Each kind of record (``ossit_schemas.KINDS``) is a resource whose list and batch write
are made from its declaration; a module of its own adds only what is particular to it
(its list's filters as keywords, its one-object calls).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ossit_schemas import Kind

if TYPE_CHECKING:
    from .._base_client import BaseClient
    from .._pagination import Paginator


class Resource:
    """Holds the client; subclasses are declarations of paths and parameters."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client


class KindResource(Resource):
    """One kind of record: its list, at ``kind.path``."""

    kind: ClassVar[Kind]

    def _list(self, params: Mapping[str, Any]) -> Paginator:
        """Every record of the kind (filtered as given), oldest change first."""
        return self._client.paginate(self.kind.path, params)


class Listing(KindResource):
    """A kind without a module of its own: its list takes the API's filters as keywords."""

    def list(self, **filters: Any) -> Paginator:
        """Every record (filtered as given, e.g. ``updated_since``), oldest change first."""
        return self._list(filters)


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

        ``idempotency_key`` names the batch for the API's 24 h replay protection (a fresh
        one per call when None).
        """
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
