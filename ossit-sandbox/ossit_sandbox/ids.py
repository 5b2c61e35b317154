"""How a path segment or list filter names an object: by its id when it is one, else by name.

The contract (:mod:`ossit_schemas.contract`) says what an id is and that no name may have
the form of one, so every reference has exactly one reading and no request can reach an
object by the other.
"""

from __future__ import annotations

from ossit_schemas import parse_id


def ref_column(ref: str, kind: str) -> tuple[str, str | int]:
    """Which column ``ref`` matches for record type ``kind``: ``("id", n)`` or ``("name", ref)``.

    One reading only, never both: an id-shaped ``ref`` that is no live object is a 404 (or
    an empty list), not a second try by name.
    """
    rid = parse_id(kind, ref)
    return ("name", ref) if rid is None else ("id", rid)
