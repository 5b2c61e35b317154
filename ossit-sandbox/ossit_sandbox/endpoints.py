"""Which endpoint a path is, and which methods it allows.

FastAPI would take ``/v1/api/intervals/batch`` for ``/v1/api/intervals/{interval}`` when
the method does not fit, and then advertise the wrong ``Allow`` methods. Here a literal
path always wins over a template, so the per-endpoint counts and 405 answers are exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.routing import compile_path


class Endpoints:
    """The table of path templates and their methods."""

    def __init__(self, routes: Iterable[tuple[str, Iterable[str]]]) -> None:
        methods: dict[str, set[str]] = {}
        for template, verbs in routes:
            methods.setdefault(template, set()).update(verbs)
        ordered = sorted(methods, key=lambda t: ("{" in t, t))
        self._table: list[tuple[re.Pattern[str], str, frozenset[str]]] = [
            (compile_path(t)[0], t, frozenset(methods[t])) for t in ordered
        ]

    def match(self, path: str) -> tuple[str, frozenset[str]] | None:
        """The template a path belongs to and the methods it allows, if any."""
        for regex, template, verbs in self._table:
            if regex.match(path):
                return template, verbs
        return None
