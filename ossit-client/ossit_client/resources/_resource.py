"""The base of every resource: a handle on the client and a helper to drop unset fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._base_client import BaseClient


class Resource:
    """Holds the client; subclasses are declarations of paths and parameters."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client


def present(**fields: Any) -> dict[str, Any]:
    """The fields that were given (not None), for bodies where absent means "unchanged"."""
    return {name: value for name, value in fields.items() if value is not None}
