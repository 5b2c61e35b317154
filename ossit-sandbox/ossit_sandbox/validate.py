"""Checks of request bodies and query strings that name the offending field.

Each check raises :class:`FieldError`; single-object endpoints turn it into a 422 naming
the field, batch endpoints collect one per bad item with the item's index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

from ossit_schemas import METADATA_MAX_DEPTH, NAME_MAX_LENGTH, name_problem, values

from ossit_sandbox import timefmt
from ossit_sandbox.errors import ApiError, invalid


class FieldError(ValueError):
    """One invalid field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def api_error(self) -> ApiError:
        """The 422 answer for a single-object endpoint."""
        return invalid(self.field, self.message)


def json_object(body: Any, field: str = "body") -> dict[str, Any]:
    """The body itself, which must be a JSON object."""
    if not isinstance(body, dict):
        raise FieldError(field, "must be a JSON object")
    return body


@overload
def label(body: Mapping[str, Any], field: str = ..., *, required: Literal[True] = ...) -> str: ...
@overload
def label(body: Mapping[str, Any], field: str = ..., *, required: bool) -> str | None: ...
def label(body: Mapping[str, Any], field: str = "name", *, required: bool = True) -> str | None:
    """A name that never travels in a path (a domain's): 1 to 255 characters, not null."""
    if field not in body:
        if required:
            raise FieldError(field, "is required")
        return None
    value = body[field]
    if not isinstance(value, str) or not value or len(value) > NAME_MAX_LENGTH:
        raise FieldError(
            field, f"must be a non-empty string of at most {NAME_MAX_LENGTH} characters"
        )
    return value


@overload
def name(body: Mapping[str, Any], field: str = ..., *, required: Literal[True] = ...) -> str: ...
@overload
def name(body: Mapping[str, Any], field: str = ..., *, required: bool) -> str | None: ...
def name(body: Mapping[str, Any], field: str = "name", *, required: bool = True) -> str | None:
    """A group or statistic name, in a body or batch item: a :func:`label` that a path can carry.

    Such a name is also a path segment, so it is refused when no request could address it
    or a path would read it as an id (the contract's :func:`ossit_schemas.name_problem`);
    refusing it at creation keeps every name usable by path.
    """
    value = label(body, field, required=required)
    if value is not None and (reason := name_problem(value)) is not None:
        raise FieldError(field, reason)
    return value


def json_document(body: Mapping[str, Any], field: str) -> dict[str, Any] | None:
    """A free-form JSON object (or null) nested at most ``METADATA_MAX_DEPTH`` levels, whose
    numbers are kept exactly (:func:`ossit_schemas.values.json_problem`).

    orjson refuses to write more than 254 levels, so a deeper object would be stored but
    never answered (a 500); the contract's 64 is far beyond any real metadata. A number
    refused is named by its path (``metadata.runs[2].count``).
    """
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FieldError(field, "must be a JSON object or null")
    level: list[Any] = [value]
    for _ in range(METADATA_MAX_DEPTH):
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        if not level:
            break
    else:
        raise FieldError(field, f"must not be nested more than {METADATA_MAX_DEPTH} levels deep")
    if (problem := values.json_problem(value)) is not None:
        path, reason = problem
        raise FieldError(f"{field}.{path}" if path else field, reason)
    return value


def text(body: Mapping[str, Any], field: str) -> str | None:
    """Optional free text (null allowed)."""
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise FieldError(field, "must be a string or null")
    return value


def number(body: Mapping[str, Any], field: str, *, required: bool) -> float | None:
    """A number kept exactly as a double (the contract's :func:`ossit_schemas.values.double`)."""
    value = body.get(field)
    if value is None:
        if required:
            raise FieldError(field, "is required")
        return None
    try:
        return values.double(value)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


def choice(
    body: Mapping[str, Any], field: str, options: tuple[str, ...], default: str | None
) -> str:
    """One of ``options``; ``default`` when absent (required when there is no default)."""
    value = body.get(field, default)
    if value is None:
        raise FieldError(field, f"is required, one of {', '.join(options)}")
    if value not in options:
        raise FieldError(field, f"must be one of {', '.join(options)}")
    return str(value)


def boolean(body: Mapping[str, Any], field: str) -> bool:
    """A JSON boolean, false when absent."""
    value = body.get(field, False)
    if not isinstance(value, bool):
        raise FieldError(field, "must be true or false")
    return value


def date(body: Mapping[str, Any], field: str, default: str | None) -> str:
    """A ``YYYY-MM-DD`` date; ``default`` when absent or null."""
    value = body.get(field)
    if value is None:
        if default is None:
            raise FieldError(field, "is required")
        return default
    try:
        return timefmt.parse_date(value)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


def timestamp(body: Mapping[str, Any], field: str, *, nullable: bool) -> str | None:
    """An ISO 8601 timestamp with an offset, normalised to canonical UTC text."""
    value = body.get(field)
    if value is None:
        if nullable:
            return None
        raise FieldError(field, "is required")
    try:
        return timefmt.parse_timestamp(value)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


def query_bool(params: Mapping[str, str], field: str) -> bool:
    """A boolean query parameter: true/false/1/0 in any case."""
    value = params.get(field)
    if value is None:
        return False
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise FieldError(field, "must be true or false")
