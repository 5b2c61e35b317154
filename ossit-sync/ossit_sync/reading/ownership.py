"""A state belongs to one domain on one server, and to that server's past.

A bookmark says "every change up to here was read" of one domain's timeline. Used with
another domain's key (a job whose key changed), another server, or holding a time beyond
the server's present (a state edited, or copied from elsewhere), it would make a read start
past records that exist, and report success with nothing read. So a state carries the
``Origin`` of the run that wrote it, and a read refuses, before emitting anything:

- a state whose origin is not this run's (a state without one, written before origins
  existed, is taken as this run's own: it can be nobody else's the run could tell);
- a bookmark later than the server's clock (its ``Date`` header) when the read found
  nothing after it: no record can have changed after the server's present.

A saved cursor is followed only when it carries this domain's signature over it and its
bookmark (see ``Position``): an opaque token cannot be checked otherwise, and one that
points past the records would skip them silently. Without a valid signature the read
restarts at the bookmark, which is always safe.
"""

from __future__ import annotations

import datetime

from ossit_client import Origin

STATE_ORIGIN = "origin"
"""Where a state (a stream's, or a partition's) keeps the origin of the run that wrote it."""

CLOCK_TOLERANCE = datetime.timedelta(seconds=5)
"""How far a bookmark may pass the server's ``Date`` (whole seconds, another clock)."""

RESET_HINT = (
    "clear the state to read from the start (`meltano state clear <state id>`, or run "
    "without --state)"
)
"""How to start over, for every message about a state a read cannot use."""

_FOREIGN_HINT = f"{RESET_HINT}, or run with the key and base_url the state was written with"


class ForeignStateError(ValueError):
    """A state that is not this domain's on this server, or not of its past."""


def check_origin(saved: object, origin: Origin, where: str) -> None:
    """Refuse a state of ``where`` saved by a run of another domain or server."""
    if saved is None:
        return
    theirs = Origin.parse(saved)
    if theirs is None:
        msg = f"{where}: its `{STATE_ORIGIN}` is not an origin this connector writes"
    elif theirs.server != origin.server:
        msg = (
            f"{where} was saved reading {theirs.server}, and this run reads {origin.server}: "
            "a state belongs to one domain on one server"
        )
    elif theirs.domain != origin.domain:
        msg = (
            f"{where} was saved reading domain {theirs.domain}, and this run's key is of "
            f"domain {origin.domain}: a state belongs to one domain"
        )
    else:
        return
    raise ForeignStateError(f"{msg}; {_FOREIGN_HINT}")


def check_present(bookmark: str, server_date: datetime.datetime | None, where: str) -> None:
    """Refuse a bookmark beyond the server's present (unknown when it sent no ``Date``)."""
    if server_date is None:
        return
    moment = datetime.datetime.fromisoformat(bookmark)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    if moment > server_date + CLOCK_TOLERANCE:
        msg = (
            f"{where}: its bookmark {bookmark} is later than the server's present "
            f"({server_date.isoformat()}), so it was not saved reading this server's records"
        )
        raise ForeignStateError(f"{msg}; {_FOREIGN_HINT}")
