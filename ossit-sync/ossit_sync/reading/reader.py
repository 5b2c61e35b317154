"""Reading one kind of record: its partitions, and its pages from a start position.

A kind's list is one request sequence, or one per group when the ``groups`` option names
some and the list filters by group (see ``pages`` for why each needs its own position).
The groups list itself takes no ``group=`` filter: its records are matched by name.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ossit_schemas import KINDS, ORIGIN_FIELD, PAGE_SIZE_MAX

from ossit_sync.reading.ownership import check_origin, check_present
from ossit_sync.reading.pages import Page, read_pages
from ossit_sync.reading.position import resume

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ossit_client import Origin, OssitClient, Paginator, Signer

    from ossit_sync.reading.position import Start

GROUP_NAME_FIELD: dict[str, str] = {
    name: kind.natural_key[0] for name, kind in KINDS.items() if "group" not in kind.filters
}
"""Kinds whose list takes no ``group=`` filter (``Kind.filters``), and the field holding the
group's name: the groups themselves, matched by their natural key."""


@dataclass(frozen=True)
class ReadOptions:
    """What a read covers: the connector settings of the same names."""

    groups: tuple[str, ...] = ()
    """Only these groups (by name), without repeats; empty: every group."""
    include_deleted: bool = True
    page_size: int = PAGE_SIZE_MAX

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> ReadOptions:
        """Options from connector settings (absent or null: the default)."""
        return cls(
            groups=tuple(dict.fromkeys(config.get("groups") or ())),
            include_deleted=config.get("include_deleted") is not False,
            page_size=config.get("page_size") or cls.page_size,
        )


class KindReader:
    """Reads one kind of record (``kind`` is also its ``OssitClient`` resource)."""

    def __init__(self, client: Callable[[], OssitClient], kind: str, options: ReadOptions):
        self._client = client  # made on first use: describing a read needs none
        self.kind = kind
        self.options = options
        self._name_field = GROUP_NAME_FIELD.get(kind)

    @property
    def partitions(self) -> list[str] | None:
        """The groups read as sequences of their own; None: one sequence for the kind."""
        if self._name_field or not self.options.groups:
            return None
        return list(self.options.groups)

    @property
    def origin(self) -> Origin:
        """The domain and server read: every record and every state carries it."""
        return self._client().origin

    @property
    def signer(self) -> Signer:
        """Signs the cursors a state keeps (see ``Position.to_state``)."""
        return self._client().signer

    def where(self, group: str | None) -> str:
        """How messages name the state of the partition ``group``."""
        return f"state of stream '{self.kind}'" + (f" (group '{group}')" if group else "")

    def start(
        self,
        group: str | None,
        since: str | None,
        saved: t.Mapping[str, t.Any],
        *,
        bookmark: str | None,
        cursor_key: str,
        origin_key: str,
    ) -> Start:
        """Where the partition ``group`` starts, from ``since`` (the later of its saved
        ``bookmark`` and the start date) and the state ``saved`` it was kept in.

        A state of another domain or server is refused (``ForeignStateError``).
        """
        check_origin(saved.get(origin_key), self.origin, self.where(group))
        return resume(since, bookmark, saved.get(cursor_key), self.signer)

    def pages(self, group: str | None, start: Start) -> Iterator[Page]:
        """Non-empty pages of the partition ``group`` (None: the whole kind) from ``start``,
        each record stamped with the origin it was read from (``ORIGIN_FIELD``).

        A read resumed from a saved bookmark that finds nothing checks the bookmark against
        the server's clock: one beyond its present was not saved reading this server.
        """
        names = self.options.groups if self._name_field else ()
        origin = str(self.origin)
        found = False
        for page in read_pages(
            self._paginator(group), start.position, already_emitted=start.already_emitted
        ):
            found = True
            for record in page.records:
                record[ORIGIN_FIELD] = origin
            if names:
                field = t.cast("str", self._name_field)
                page = Page([r for r in page.records if r[field] in names], page.position)
            yield page
        if not found and start.already_emitted is not None:
            check_present(start.already_emitted, self._client().server_date, self.where(group))

    def _paginator(self, group: str | None) -> Callable[[str | None], Paginator]:
        """``since -> Paginator`` of the partition's request sequence."""
        lister = getattr(self._client(), self.kind).list
        options: dict[str, t.Any] = {
            "include_deleted": self.options.include_deleted,
            "limit": self.options.page_size,
        }
        if group is not None:
            options["group"] = group
        return lambda since: lister(updated_since=since, **options)
