"""Lazy iteration over a list endpoint, one request per page, following ``next_cursor``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base_client import BaseClient


class Paginator:
    """Iterating yields record dicts; ``pages()`` yields one ``list[dict]`` per request.

    Nothing is requested until iteration starts, and each new iteration starts again from the
    first page. Records are the decoded JSON objects themselves (no per-record wrapping), so
    the tap's hot path costs one ``orjson.loads`` per page.
    """

    def __init__(
        self,
        client: BaseClient,
        template: str,
        params: Mapping[str, Any],
        path_params: Mapping[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._template = template
        self._params = dict(params)
        self._path_params = path_params

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """One list of records per request, until the server says nothing more exists."""
        for records, _next_cursor in self.answers():
            yield records

    def answers(
        self, cursor: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        """``(records, next_cursor)`` per request, from ``cursor`` (or the first page) on.

        A reader that stops mid-way keeps ``next_cursor`` to continue later at exactly the
        same page boundary: a keyset cursor stays valid however long it is kept.
        """
        params = dict(self._params)
        if cursor:
            params["cursor"] = cursor
        while True:
            answer = self._client.request(
                "GET", self._template, path_params=self._path_params, params=params
            )
            next_cursor = answer.get("next_cursor") or None
            yield answer["data"], next_cursor
            if next_cursor is None:
                return
            params["cursor"] = next_cursor

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for page in self.pages():
            yield from page
