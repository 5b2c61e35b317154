"""Copying any domain into any domain through source-ossit and destination-ossit is
idempotent and loses nothing: the interval identity and self-copy rules of the core, as the
Airbyte connectors apply them (the Singer side: tests/target/test_target_identity.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from airbyte_runs import Files, Run, configured_catalog, run_connector
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer

OpenClient = Callable[[str, str], OssitClient]
"""The ``open_client`` fixture (tests/conftest.py)."""


def _copy(files: Files, source: tuple[str, str], destination: tuple[str, str]) -> Run:
    """``source-ossit read`` of one domain piped into ``destination-ossit write`` of another."""
    (source_url, source_key), (url, key) = source, destination
    catalog = files.json(configured_catalog(), "catalog")
    read = run_connector(
        "source-ossit", "read", "--config",
        files.json({"domain_key": source_key, "base_url": source_url}, "source"),
        "--catalog", catalog, secrets=(source_key,),
    )  # fmt: skip
    assert read.returncode == 0, read.errors
    text = "".join(json.dumps(message) + "\n" for message in read.messages)
    write = run_connector(
        "destination-ossit", "write", "--config",
        files.json({"domain_key": key, "base_url": url}, "destination"),
        "--catalog", catalog, stdin=text.encode(), secrets=(key,),
    )  # fmt: skip
    assert write.returncode == 0, (write.errors, write.stderr[-2000:])
    return write


def _own_intervals(client: OssitClient, names: list[str]) -> None:
    if not any(g["name"] == "line" for g in client.statistic_groups.list()):
        client.statistic_groups.create("line")
    for n, name in enumerate(names):
        client.intervals.create(
            group="line", type="run", name=name, start=f"2026-04-0{n + 1}T00:00:00Z"
        )


def _names(client: OssitClient) -> list[str]:
    return sorted(i["name"] for i in client.intervals.list())


def _logs(run: Run) -> str:
    return "\n".join(m["log"]["message"] for m in run.of_type("LOG"))


def test_chained_copies_from_two_servers_keep_every_interval_and_copy_back_in_place(
    files: Files, sandbox: SandboxServer, sandbox_factory: Any, open_client: OpenClient
) -> None:
    here = sandbox.base_url
    a_key, b_key, c_key = (sandbox.create_domain(f"airbyte chain {n}") for n in "ABC")
    a, b, c = (open_client(here, key) for key in (a_key, b_key, c_key))
    elsewhere = sandbox_factory()
    x_key = elsewhere.create_domain("airbyte elsewhere")
    _own_intervals(a, ["a1", "a2"])
    _own_intervals(open_client(elsewhere.base_url, x_key), ["x1"])

    _copy(files, (here, a_key), (here, b_key))
    _own_intervals(b, ["b1"])
    for source in ((here, b_key), (elsewhere.base_url, x_key), (here, a_key)):
        _copy(files, source, (here, c_key))

    assert _names(c) == ["a1", "a2", "b1", "x1"]
    before = sorted(c.intervals.list(), key=lambda i: i["id"])
    _copy(files, (here, b_key), (here, c_key))
    assert sorted(c.intervals.list(), key=lambda i: i["id"]) == before

    copied = {i["name"]: i for i in b.intervals.list()}
    b.intervals.update(copied["a1"]["id"], name="a1 renamed in B")
    _copy(files, (here, b_key), (here, a_key))
    assert _names(a) == ["a1 renamed in B", "a2", "b1"]


def test_a_domain_copied_onto_itself_writes_nothing_and_says_so(
    files: Files, sandbox: SandboxServer, domain_key: str, open_client: OpenClient
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=2, days=4, intervals=3, seed=4)
    api = open_client(sandbox.base_url, domain_key)
    _own_intervals(api, ["own"])
    before = {kind: sorted(getattr(api, kind).list(), key=lambda r: r["id"])
              for kind in ("statistic_groups", "statistics", "points", "intervals")}  # fmt: skip
    sandbox.reset_stats(domain_key)

    run = _copy(files, (sandbox.base_url, domain_key), (sandbox.base_url, domain_key))

    after = {kind: sorted(getattr(api, kind).list(), key=lambda r: r["id"]) for kind in before}
    assert after == before
    writes = [e for e in sandbox.stats(domain_key)["by_endpoint"] if not e.startswith("GET")]
    assert writes == []
    assert "read from this very domain" in _logs(run)
