"""Record validation compiled to Python code, so checking a record costs microseconds.

Connector frameworks validate with ``jsonschema``, which interprets the schema for every record
(about 50 µs for a point) and a default Singer target spends most of its time there.
``fastjsonschema`` compiles the schema once into plain Python (about 3 µs a point) and
keeps every check: types, required fields, enums, patterns, lengths and, unlike the
singer-sdk's default, string formats such as ``date`` and ``date-time`` too.

A schema comes from the input, so it is untrusted: fastjsonschema would fetch any
``$ref`` (or ``$id``-relative reference) that leaves the document with ``urlopen``,
which opens ``http(s)://`` URLs and ``file://`` paths alike.  A loader never opens a
URL or a file named by its input, so only references inside the message (``#...``) are
accepted, and every other resolution is refused by a handler that never fetches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import fastjsonschema

from ossit_sync.loading.errors import InvalidRecordError, InvalidSchemaError


class RecordValidator:
    """Validates records against a stream's schema with code compiled by fastjsonschema."""

    def __init__(self, schema: dict[str, Any], *, stream: str) -> None:
        self.schema = schema
        self._stream = stream
        for ref in _refs(schema):
            if not (isinstance(ref, str) and ref.startswith("#")):
                raise _non_local(ref, stream)
        try:
            # use_default=False: validation must never change the record it checks.
            self._check = fastjsonschema.compile(
                schema, handlers=_RefuseEveryScheme(stream), use_default=False
            )
        except InvalidSchemaError:
            raise
        except (fastjsonschema.JsonSchemaDefinitionException, RecursionError) as exc:
            msg = f"invalid schema: {exc}"
            raise InvalidSchemaError(msg, stream=stream) from None

    def validate(self, record: dict[str, Any]) -> None:
        """Raise ``InvalidRecordError`` naming the first field that breaks the schema."""
        try:
            self._check(record)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise InvalidRecordError(
                exc.message.removeprefix("data.").removeprefix("data "),
                stream=self._stream,
                field=_field_of(exc, record),
            ) from None


def _field_of(exc: fastjsonschema.JsonSchemaValueException, record: dict[str, Any]) -> str | None:
    """The dotted path of the offending field; for a missing one, the first absent name."""
    path = [str(part) for part in (exc.path or [])[1:]]
    if exc.rule == "required" and isinstance(exc.rule_definition, list):
        parent: Any = record
        for part in path:
            parent = parent.get(part, {}) if isinstance(parent, dict) else {}
        missing = [name for name in exc.rule_definition if name not in parent]
        if missing:
            path.append(missing[0])
    return ".".join(path) or None


def _refs(node: Any) -> Iterator[Any]:
    """Every ``$ref`` value of a schema, at any depth (iteratively: schemas may be deep)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _non_local(ref: object, stream: str) -> InvalidSchemaError:
    msg = (
        f"the schema's $ref {ref!r} points outside the stream's schema; a loader never "
        "opens URLs or files named by its input: inline the definition and refer to it "
        "with a local reference such as '#/definitions/name'"
    )
    return InvalidSchemaError(msg, stream=stream, field="$ref")


class _RefuseEveryScheme(dict[str, Callable[[str], Any]]):
    """fastjsonschema's handlers: one for every URI scheme, and it refuses.

    fastjsonschema falls back on ``urlopen`` for a scheme without a handler, so a
    mapping that claims every scheme is the only way to make sure nothing is fetched
    (an ``$id`` can make even a ``#...`` reference resolve to a remote document).
    """

    def __init__(self, stream: str) -> None:
        super().__init__()
        self._stream = stream

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> Callable[[str], NoReturn]:
        def refuse(uri: str) -> NoReturn:
            raise _non_local(uri, self._stream)

        return refuse
