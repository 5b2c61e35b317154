"""The waits a client makes, recorded: what a test asserts instead of a wall-clock time.

How long a call took depends on the machine; which waits the client planned does not. The
``waits`` fixture (``conftest.py``) replaces ``time.sleep`` with a recorder that still makes
each wait, so the client behaves as it would, and refuses a long one, so a client about to
wait 999999 s fails its test at once instead of hanging until pytest-timeout.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import pytest

#: Who sleeps in ossit_client, and which list of ``Waits`` their sleeps go to.
_WAITING_MODULES = {"ossit_client._base_client": "retry", "ossit_client._budget": "budget"}


@dataclass
class Waits:
    """Every ``time.sleep`` the client asked for, in seconds, by the module that asked."""

    retry: list[float] = field(default_factory=list)
    """Between attempts (``_base_client``): backoff, or a ``Retry-After`` other than a 429's."""
    budget: list[float] = field(default_factory=list)
    """For the shared budget (``_budget``): a pause the server asked for, or a spent budget."""
    refuse_above: float = 10.0
    """A wait longer than this raises ``AssertionError`` instead of being made."""


def record_waits(monkeypatch: pytest.MonkeyPatch) -> Waits:
    """Record the client's sleeps from now until the test ends.

    A sleep from anywhere else (a lock's polling, say) is made and not recorded.
    """
    recorded = Waits()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        where = _WAITING_MODULES.get(sys._getframe(1).f_globals.get("__name__", ""))
        if where is not None:
            getattr(recorded, where).append(seconds)
            if seconds > recorded.refuse_above:
                raise AssertionError(f"the client was about to sleep {seconds} s ({where})")
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return recorded
