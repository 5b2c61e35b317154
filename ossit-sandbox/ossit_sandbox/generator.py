"""``generate``: deterministic synthetic data, fast enough for a million points.

For a given seed the content (names, dates, values, intervals) is always the same; only
the ``created_at``/``updated_at`` stamps depend on when it runs. Points are written with
one ``executemany`` in one transaction. Every Nth interval is left open or deleted so
the counts are predictable: see :func:`generate`'s summary.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from ossit_schemas import INTERVAL_TYPES

from ossit_sandbox.auth import find_domain
from ossit_sandbox.errors import ApiError, conflict
from ossit_sandbox.store.db import Store, Tx
from ossit_sandbox.timefmt import format_datetime

END_DATE = date(2025, 12, 31)
"""The last reference date of every generated series (fixed, so output is reproducible)."""

OPEN_EVERY = 5
DELETED_EVERY = 7
UNITS = ("count", "kg", "%", "s", None)


def group_name(index: int) -> str:
    """The name of the ``index``-th generated group."""
    return f"group-{index:03d}"


def statistic_name(index: int) -> str:
    """The name of the ``index``-th generated statistic of a group."""
    return f"statistic-{index:03d}"


def _series(rng: random.Random, days: int) -> list[float]:
    level = rng.uniform(10, 1000)
    values = []
    for _ in range(days):
        level = max(0.0, level + rng.gauss(0, level * 0.05))
        values.append(round(level, 2))
    return values


def _insert_groups(tx: Tx, domain_id: int, groups: int) -> list[int]:
    names = [group_name(i) for i in range(1, groups + 1)]
    taken = tx.conn.execute(
        f"SELECT name FROM groups WHERE domain_id = ? AND deleted_at IS NULL"
        f" AND name IN ({','.join('?' * len(names))})",
        (domain_id, *names),
    ).fetchone()
    if taken:
        raise conflict(f"the domain already has a group named {taken[0]!r}")
    ids = []
    for name, stamp in zip(names, tx.stamps(groups), strict=True):
        cur = tx.conn.execute(
            "INSERT INTO groups (domain_id, name, description, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (domain_id, name, f"Generated group {name}", stamp, stamp),
        )
        ids.append(int(cur.lastrowid or 0))
    return ids


def _point_rows(
    domain_id: int, sids: list[int], series: list[list[float]], days: list[str], stamps: list[str]
) -> Iterator[tuple[Any, ...]]:
    n = 0
    for sid, values in zip(sids, series, strict=True):
        for day, value in zip(days, values, strict=True):
            stamp = stamps[n]
            n += 1
            yield (domain_id, sid, day, value, stamp, stamp)


def _insert_intervals(
    tx: Tx, domain_id: int, rng: random.Random, gids: list[int], count: int, seed: int
) -> tuple[int, int]:
    if not gids:
        return 0, 0
    end_of_data = datetime(END_DATE.year, END_DATE.month, END_DATE.day, 23, tzinfo=UTC)
    opened = deleted = 0
    for i in range(count):
        start = end_of_data - timedelta(hours=(count - i) * 6, minutes=rng.randrange(60))
        is_open = i % OPEN_EVERY == OPEN_EVERY - 1
        end = None if is_open else start + timedelta(minutes=rng.randrange(15, 60 * 30))
        kind = INTERVAL_TYPES[i % len(INTERVAL_TYPES)]
        metadata = {"sequence": i, "operator": f"op-{rng.randrange(1, 9)}"}
        stamp = tx.stamp()
        cur = tx.conn.execute(
            'INSERT INTO intervals (domain_id, group_id, statistic, external_id, type, name,'
            ' start, "end", metadata, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
            (domain_id, gids[i % len(gids)], None, f"gen-{seed}-{i}", kind, f"{kind} {i}",
             format_datetime(start), end and format_datetime(end),
             orjson.dumps(metadata).decode(), stamp, stamp),
        )  # fmt: skip
        opened += is_open
        if i % DELETED_EVERY == DELETED_EVERY - 1:
            tx.restamp("intervals", [int(cur.lastrowid or 0)], delete=True)
            deleted += 1
    return opened, deleted


def generate(
    db: str,
    domain_key: str,
    *,
    groups: int = 3,
    statistics: int = 5,
    days: int = 30,
    intervals: int = 10,
    seed: int = 0,
) -> dict[str, int]:
    """Fill a domain; returns counts per record type (``*_deleted``: tombstones among them)."""
    store = Store(db)
    try:
        domain = find_domain(store, domain_key)
        if domain is None:
            raise ApiError(404, "not_found", "no live domain has this key")
        rng = random.Random(seed)
        day_names = [(END_DATE - timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
        with store.write(domain.id) as tx:
            gids = _insert_groups(tx, domain.id, groups) if groups else []
            sids: list[int] = []
            series: list[list[float]] = []
            for gid in gids:
                for s in range(1, statistics + 1):
                    values = _series(rng, days)
                    stamp = tx.stamp()
                    cur = tx.conn.execute(
                        "INSERT INTO statistics (domain_id, group_id, name, unit, value,"
                        " reference_date, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                        (domain.id, gid, statistic_name(s), UNITS[s % len(UNITS)],
                         values[-1] if values else None, day_names[-1] if days else None,
                         stamp, stamp),
                    )  # fmt: skip
                    sids.append(int(cur.lastrowid or 0))
                    series.append(values)
            stamps = tx.stamps(len(sids) * days)
            tx.conn.executemany(
                "INSERT INTO points (domain_id, statistic_id, reference_date, value, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                _point_rows(domain.id, sids, series, day_names, stamps),
            )
            opened, deleted = _insert_intervals(tx, domain.id, rng, gids, intervals, seed)
    finally:
        store.close()
    return {
        "statistic_groups": len(gids),
        "statistics": len(sids),
        "points": len(sids) * days,
        "intervals": intervals if gids else 0,
        "intervals_open": opened,
        "intervals_deleted": deleted,
    }
