"""Injected failures: random ones from the command line, scripted ones per domain key.

``--fail-rate`` answers that fraction of requests 500 or 503 before anything changes;
``--drop-rate`` lets that fraction of writes happen and then closes the connection with
no answer. Both draw from one ``random.Random(--fault-seed)`` in request order, so a run
is reproducible. ``POST /_sandbox/faults`` adds scripted rules that take precedence.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from ossit_sandbox.bounded import LruDict

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Scripted rules kept per key; adding one more forgets the oldest. Tests script a handful.
MAX_RULES_PER_KEY = 100


@dataclass
class FaultRule:
    """The next ``count`` matching requests (-1: all) get ``status``, or are dropped."""

    method: str | None
    path: str
    status: int
    count: int
    retry_after: str | None
    drop: bool

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this rule still applies to."""
        return (
            self.count != 0
            and (self.method is None or self.method == method)
            and path.startswith(self.path)
        )


@dataclass(frozen=True)
class Fault:
    """What to do to one request: answer ``status`` now, or apply it and then drop it."""

    status: int
    retry_after: str | None = None
    drop: bool = False

    def retry_after_header(self) -> bytes | None:
        """``Retry-After`` as seconds, or as an HTTP date for ``http-date:N``."""
        if self.retry_after is None:
            return None
        if self.retry_after.startswith("http-date:"):
            seconds = float(self.retry_after.removeprefix("http-date:"))
            return formatdate(time.time() + seconds, usegmt=True).encode()
        return self.retry_after.encode()


class Faults:
    """The random fault flags plus the scripted rules of every key."""

    def __init__(self, fail_rate: float, drop_rate: float, seed: int | None) -> None:
        self.fail_rate = fail_rate
        self.drop_rate = drop_rate
        self._random = random.Random(seed)
        # Capped twice (see :mod:`ossit_sandbox.bounded`): the keys, and the rules of a key.
        self._rules: LruDict[str, list[FaultRule]] = LruDict()

    def add(self, key: str, spec: dict[str, Any]) -> FaultRule:
        """Add a scripted rule for a key (``spec`` already validated)."""
        rule = FaultRule(
            method=spec.get("method"),
            path=spec.get("path") or "/v1/api",
            status=int(spec.get("status", 503)),
            count=int(spec.get("count", 1)),
            retry_after=spec.get("retry_after"),
            drop=bool(spec.get("drop", False)),
        )
        rules = self._rules.get_or_create(key, list)
        rules.append(rule)
        if len(rules) > MAX_RULES_PER_KEY:
            del rules[0]  # the oldest rule: a script adds its rules in the order they apply
        return rule

    def clear(self, key: str) -> None:
        """Remove a key's scripted rules."""
        self._rules.pop(key)

    def pick(self, key: str, method: str, path: str) -> Fault | None:
        """The fault for this request, if any; consumes one use of a matching rule."""
        for rule in self._rules.get(key) or ():
            if rule.matches(method, path):
                if rule.count > 0:
                    rule.count -= 1
                return Fault(rule.status, rule.retry_after, rule.drop)
        if self.fail_rate and self._random.random() < self.fail_rate:
            return Fault(self._random.choice((500, 503)))
        if self.drop_rate and method in WRITE_METHODS and self._random.random() < self.drop_rate:
            return Fault(200, drop=True)
        return None
