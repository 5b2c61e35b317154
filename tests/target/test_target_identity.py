"""Copying any domain into any domain is idempotent and loses nothing: interval identity.

An interval without an external_id is known only by its id, which names different intervals
in different domains and on different servers. Copied, it is named by its origin and its
id (``ossit:<origin domain>:<id>``), so chained copies, copies from several servers into
one and copies back never merge two intervals or split one; a copy of a domain onto itself
writes nothing.
"""

from __future__ import annotations

from typing import Any

from ossit_schemas import ORIGIN_FIELD


def _intervals(domain: Any) -> list[dict[str, Any]]:
    return domain.records("intervals")


def _add_own_intervals(domain: Any, group: str, names: list[str]) -> None:
    """Intervals created in the domain itself, without external_id."""
    client = domain.client
    if not any(g["name"] == group for g in client.statistic_groups.list()):
        client.statistic_groups.create(group)
    for n, name in enumerate(names):
        client.intervals.create(
            group=group, type="run", name=name, start=f"2026-03-0{n + 1}T00:00:00Z"
        )


def _names(domain: Any) -> list[str]:
    return sorted(i["name"] for i in _intervals(domain))


def test_chained_copies_and_copies_from_another_server_keep_every_interval(
    sandbox: Any, sandbox_factory: Any, extract: Any, target_cli: Any, open_domain: Any
) -> None:
    a = open_domain(sandbox.base_url, a_key := sandbox.create_domain("chain A"))
    b = open_domain(sandbox.base_url, b_key := sandbox.create_domain("chain B"))
    c_key = sandbox.create_domain("chain C")
    c = open_domain(sandbox.base_url, c_key)
    _add_own_intervals(a, "line", ["a1", "a2"])
    a.client.intervals.create(group="line", type="batch", start="2026-03-09T00:00:00Z",
                              name="a-named", external_id="batch-9")  # fmt: skip
    elsewhere = sandbox_factory()  # its ids start again at 1: the same ids as the others'
    x_key = elsewhere.create_domain("another server")
    x = open_domain(elsewhere.base_url, x_key)
    _add_own_intervals(x, "line", ["x1", "x2"])

    assert target_cli.run(extract(sandbox.base_url, a_key), domain_key=b_key).returncode == 0
    _add_own_intervals(b, "line", ["b1", "b2"])  # B holds copies and intervals of its own
    sources = ((sandbox.base_url, b_key), (elsewhere.base_url, x_key), (sandbox.base_url, a_key))
    for source in sources:
        run = target_cli.run(extract(*source), domain_key=c_key)
        assert run.returncode == 0, run.stderr[-3000:]

    assert _names(b) == ["a-named", "a1", "a2", "b1", "b2"]
    assert _names(c) == ["a-named", "a1", "a2", "b1", "b2", "x1", "x2"]
    before = c.snapshot()
    for source in ((sandbox.base_url, b_key), (elsewhere.base_url, x_key)):
        assert target_cli.run(extract(*source), domain_key=c_key).returncode == 0
    assert c.snapshot() == before  # idempotent: nothing written again


def test_copying_a_domain_onto_itself_writes_nothing_and_says_so(
    sandbox: Any, domain_key: str, extract: Any, target_cli: Any, destination: Any
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=2, days=5, intervals=4, seed=2)
    _add_own_intervals(destination, "group-001", ["own"])
    before = destination.snapshot()
    sandbox.reset_stats(domain_key)

    run = target_cli.run(extract(sandbox.base_url, domain_key))

    assert run.returncode == 0, run.stderr[-3000:]
    assert destination.snapshot() == before
    writes = {e: n for e, n in sandbox.stats(domain_key)["by_endpoint"].items() if "GET" not in e}
    assert writes == {}
    last_lines = "\n".join(run.stderr.strip().splitlines()[-6:])
    assert "read from this very domain" in last_lines


def test_a_copy_copied_back_changes_the_original_never_duplicates_it(
    sandbox: Any, extract: Any, target_cli: Any, open_domain: Any
) -> None:
    a = open_domain(sandbox.base_url, a_key := sandbox.create_domain("back A"))
    b = open_domain(sandbox.base_url, b_key := sandbox.create_domain("back B"))
    _add_own_intervals(a, "line", ["first", "second"])
    assert target_cli.run(extract(sandbox.base_url, a_key), domain_key=b_key).returncode == 0
    copied = {i["name"]: i for i in _intervals(b)}
    b.client.intervals.update(copied["first"]["id"], name="renamed in B")
    b.client.intervals.delete(copied["second"]["id"])

    run = target_cli.run(extract(sandbox.base_url, b_key), domain_key=a_key)

    assert run.returncode == 0, run.stderr[-3000:]
    assert _names(a) == ["renamed in B"]  # the original renamed, the other one deleted


def test_an_interval_without_external_id_or_origin_is_refused_naming_its_line(
    singer: Any, target_cli: Any, destination: Any
) -> None:
    singer.schema("intervals")
    record = {
        "id": "int_1",
        "external_id": None,
        "group_id": "grp_1",
        "group": "line",
        "type": "run",
        "start": "2026-01-01T00:00:00Z",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    line = singer.record("intervals", record)

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert f"input line {line}" in last and "external_id" in last and ORIGIN_FIELD in last
    assert _intervals(destination) == []


def test_an_interval_whose_start_or_end_is_no_timestamp_is_refused_on_its_own_line(
    singer: Any, target_cli: Any, destination: Any
) -> None:
    singer.schema("intervals", {"type": "object", "properties": {}}, keys=["external_id"])
    good = {"external_id": "ok", "group": "line", "type": "run", "start": "2026-01-01T00:00:00Z"}
    singer.record("intervals", good)
    line = singer.record("intervals", {**good, "external_id": "bad", "end": "0000-01-01T00:00:00Z"})

    run = target_cli.run(singer.write())

    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert f"input line {line}" in last and "field 'end'" in last
    assert _intervals(destination) == []  # the batch it would have joined was never sent
