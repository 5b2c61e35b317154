"""The shape of a Singer state and catalog, checked before singer-sdk reads them.

The SDK takes both on trust: a list where an object belongs ends a run with
``'list' object has no attribute 'items'``, and a state or catalog that is a JSON string
is opened as a file path. They are input like any other, often edited by hand or merged by
a scheduler, so their shape is checked first, and each problem is named with the stream and
the field (what a state holds is the core's to check: ``ossit_sync.reading.ownership``).
"""

from __future__ import annotations

import typing as t

from ossit_sync.reading import STATE_ORIGIN, api_timestamp
from ossit_sync.reading.ownership import RESET_HINT

from tap_ossit._sdk import CURSOR_STATE_KEY

BOOKMARK = "replication_key_value"


class StateShapeError(ValueError):
    """A state or catalog the tap cannot read; the message names where and what."""


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), "a number")


def _check_part(where: str, part: object) -> None:
    """One stream's (or partition's) state: an object with a timestamp bookmark."""
    if not isinstance(part, dict):
        raise StateShapeError(f"{where} is {_kind(part)}, not an object")
    bookmark = part.get(BOOKMARK)
    if bookmark is not None:
        try:
            api_timestamp(bookmark)
        except (TypeError, ValueError):
            shown = repr(bookmark)[:60] if isinstance(bookmark, str) else _kind(bookmark)
            raise StateShapeError(f"{where}: `{BOOKMARK}` is {shown}, not a timestamp") from None
    for key, kind in ((CURSOR_STATE_KEY, dict), (STATE_ORIGIN, str)):
        if part.get(key) is not None and not isinstance(part[key], kind):
            expected = "an object" if kind is dict else "a string"
            raise StateShapeError(f"{where}: `{key}` is {_kind(part[key])}, not {expected}")


def check_state(state: object) -> None:
    """Raise ``StateShapeError`` naming the first problem of ``state``'s shape, if any."""
    try:
        _check(state)
    except StateShapeError as exc:
        raise StateShapeError(f"the state given with --state: {exc}; {RESET_HINT}") from None


def _check(state: object) -> None:
    if not isinstance(state, dict):
        raise StateShapeError(f'it is {_kind(state)}, not an object like {{"bookmarks": {{}}}}')
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        raise StateShapeError(f"`bookmarks` is {_kind(bookmarks)}, not an object")
    for stream, entry in bookmarks.items():
        where = f"stream '{stream}'"
        _check_part(where, entry)
        partitions = t.cast("dict[str, t.Any]", entry).get("partitions")
        if partitions is None:
            continue
        if not isinstance(partitions, list):
            raise StateShapeError(f"{where}: `partitions` is {_kind(partitions)}, not a list")
        for index, partition in enumerate(partitions):
            _check_part(f"{where}, partitions[{index}]", partition)
            context = t.cast("dict[str, t.Any]", partition).get("context")
            if not isinstance(context, dict):
                kind = _kind(context)
                raise StateShapeError(
                    f"{where}, partitions[{index}]: `context` is {kind}, not an object"
                )


def check_catalog(catalog: object) -> None:
    """Raise ``StateShapeError`` naming the first problem of ``catalog``'s shape, if any:
    the parts the SDK walks (streams, their ids, schemas and metadata entries)."""
    try:
        _check_catalog(catalog)
    except StateShapeError as exc:
        raise StateShapeError(f"the catalog given with --catalog: {exc}") from None


def _check_catalog(catalog: object) -> None:
    if not isinstance(catalog, dict):
        raise StateShapeError(f'it is {_kind(catalog)}, not an object like {{"streams": []}}')
    streams = catalog.get("streams", [])
    if not isinstance(streams, list):
        raise StateShapeError(f"`streams` is {_kind(streams)}, not a list")
    for index, stream in enumerate(streams):
        where = f"streams[{index}]"
        if not isinstance(stream, dict):
            raise StateShapeError(f"{where} is {_kind(stream)}, not an object")
        if not isinstance(stream.get("tap_stream_id"), str):
            raise StateShapeError(f"{where}: `tap_stream_id` is not a string")
        for key, kind in (("schema", dict), ("metadata", list)):
            if stream.get(key) is not None and not isinstance(stream[key], kind):
                expected = "an object" if kind is dict else "a list"
                raise StateShapeError(f"{where}: `{key}` is {_kind(stream[key])}, not {expected}")
        for entry in stream.get("metadata") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("metadata", {}), dict):
                raise StateShapeError(f"{where}: an entry of `metadata` is not an object")
