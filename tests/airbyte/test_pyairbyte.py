"""source-ossit and destination-ossit driven by PyAirbyte, a real Airbyte client.

PyAirbyte runs in its own environment (``pyairbyte_env``); each test runs a few steps in
one PyAirbyte process (importing it takes seconds) and checks the answers against the
sandbox and against source-ossit's own output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from airbyte_runs import STREAM_NAMES, Files, Run, configured_catalog, run_connector
from distributions import build_all
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer
from pyairbyte_env import SOURCE, PyAirbyte


@pytest.fixture(scope="module")
def pyairbyte(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PyAirbyte]:
    """PyAirbyte, installed once for the module in a folder of its own."""
    client = PyAirbyte(tmp_path_factory.mktemp("pyairbyte"))
    client.install()
    yield client


@pytest.fixture
def source_domain(sandbox: SandboxServer, domain_key: str) -> dict[str, Any]:
    """A generated domain with deletes: a purged statistic, a deleted interval, and a
    statistic purged and created again under its name (two ids, one name: its tombstone
    and its live record may come out of PyAirbyte's cache in either order)."""
    sandbox.generate(domain_key, groups=2, statistics=3, days=10, intervals=6, seed=5)
    with OssitClient(domain_key, base_url=sandbox.base_url) as api:
        statistic, again = list(api.statistics.list())[:2]
        api.statistics.purge(statistic["group"], statistic["name"])
        api.statistics.purge(again["group"], again["name"])
        api.statistics.create(
            again["group"], again["name"], 12.5, reference_date="2026-01-05", unit="again"
        )
        interval = next(i for i in api.intervals.list() if i["deleted_at"] is None)
        api.intervals.delete(interval["id"])
    return {"domain_key": domain_key, "base_url": sandbox.base_url}


def source_read(files: Files, config: dict[str, Any]) -> Run:
    """Everything source-ossit reads of a domain (this repository's view of it)."""
    run = run_connector(
        "source-ossit",
        "read",
        "--config",
        files.json(config),
        "--catalog",
        files.json(configured_catalog()),
        secrets=(config["domain_key"],),
    )
    assert run.returncode == 0, run.errors
    return run


LIVE_FIELDS = {
    "statistic_groups": ("name", "description"),
    "statistics": ("group", "name", "unit", "description", "value", "reference_date"),
    "points": ("group", "statistic", "reference_date", "value"),
    "intervals": ("external_id", "group", "statistic", "type", "name", "start", "end", "metadata"),
}
"""What a domain's live content is, per kind: what a migration must carry (no ids, no times
of change, which belong to each domain)."""


def live_content(run: Run) -> dict[str, list[tuple[Any, ...]]]:
    """The live records of a read, by ``LIVE_FIELDS``, sorted."""
    return {
        kind: sorted(
            (
                tuple(json.dumps(r[f], sort_keys=True) for f in fields)
                for r in run.records[kind]
                if r["deleted_at"] is None
            ),
        )
        for kind, fields in LIVE_FIELDS.items()
    }


def test_check_read_and_a_second_read_of_only_the_changes(
    pyairbyte: PyAirbyte,
    sandbox: SandboxServer,
    source_domain: dict[str, Any],
    files: Files,
    tmp_path: Path,
) -> None:
    key = source_domain["domain_key"]
    cache = str(tmp_path / "cache.duckdb")
    truth = source_read(files, source_domain)
    bad_key = {**source_domain, "domain_key": "not-a-key-of-this-sandbox"}
    bad_setting = {**source_domain, "page_size": 0}

    check, bad, invalid, first = pyairbyte.run(
        [
            {"do": "check", "config": source_domain},
            {"do": "check", "config": bad_key},
            {"do": "check", "config": bad_setting},
            {"do": "read", "config": source_domain, "cache": cache, "name": "first"},
        ]
    )

    assert check == {"ok": "SUCCEEDED"}
    assert bad["error"] == "AirbyteConnectorCheckFailedError"
    assert "refused the domain key (HTTP 401)" in bad["context"]["failure_reason"]
    assert invalid["error"] == "AirbyteConnectorCheckFailedError"
    assert "setting 'page_size'" in invalid["context"]["failure_reason"]
    assert key not in pyairbyte.output
    # Exact counts in PyAirbyte's DuckDB cache, tombstones included, and the same rows.
    rows = first["ok"]["rows"]
    assert {s: len(rows[s]) for s in STREAM_NAMES} == truth.counts()
    assert first["ok"]["processed_records"] == sum(truth.counts().values())
    cached = {r["id"]: r for r in rows["points"]}
    for point in truth.records["points"]:
        row = cached[point["id"]]
        assert Decimal(row["value"]) == Decimal(str(point["value"]))
        assert row["reference_date"] == point["reference_date"]
        assert (row["deleted_at"] is None) == (point["deleted_at"] is None)

    # Changes: a point's value, an interval deleted, a group described.
    point = next(p for p in truth.records["points"] if p["deleted_at"] is None)
    interval = next(i for i in truth.records["intervals"] if i["deleted_at"] is None)
    group = truth.records["statistic_groups"][0]
    with OssitClient(key, base_url=sandbox.base_url) as api:
        api.statistics.set_value(
            point["group"], point["statistic"], 4242.5, reference_date=point["reference_date"]
        )
        api.intervals.delete(interval["id"])
        api.statistic_groups.update(group["name"], description="described again")
    sandbox.reset_stats(key)

    (second,) = pyairbyte.run(
        [{"do": "read", "config": source_domain, "cache": cache, "name": "second"}]
    )

    assert second["ok"]["processed_records"] == 3  # only what changed
    rows = second["ok"]["rows"]
    assert {s: len(rows[s]) for s in STREAM_NAMES} == truth.counts()  # merged by id
    assert Decimal(next(r for r in rows["points"] if r["id"] == point["id"])["value"]) == Decimal(
        "4242.5"
    )
    assert next(r for r in rows["intervals"] if r["id"] == interval["id"])["deleted_at"]
    # One list request per stream: the state PyAirbyte kept resumed each at its bookmark.
    assert sandbox.stats(key)["by_endpoint"] == {
        "GET /v1/api/statistic-groups": 1,
        "GET /v1/api/statistics": 1,
        "GET /v1/api/points": 1,
        "GET /v1/api/intervals": 1,
    }


def test_write_a_read_of_one_domain_into_an_empty_one_twice(
    pyairbyte: PyAirbyte,
    sandbox: SandboxServer,
    source_domain: dict[str, Any],
    files: Files,
    tmp_path: Path,
) -> None:
    target = {"domain_key": sandbox.create_domain("pyairbyte-b"), "base_url": sandbox.base_url}
    cache = str(tmp_path / "cache.duckdb")

    read, first = pyairbyte.run(
        [
            {"do": "read", "config": source_domain, "cache": cache, "name": "a"},
            {"do": "write", "config": target, "read": "a"},
        ]
    )

    assert "ok" in read, read
    assert "ok" in first, first
    a, b = source_read(files, source_domain), source_read(files, target)
    assert live_content(b) == live_content(a)
    assert all(live_content(a).values())
    # Deleted in A: not live in B (never created, or created and deleted).
    deleted = {
        (p["group"], p["statistic"], p["reference_date"])
        for p in a.records["points"]
        if p["deleted_at"] is not None
    }
    assert deleted
    live_b = {
        (p["group"], p["statistic"], p["reference_date"])
        for p in b.records["points"]
        if p["deleted_at"] is None
    }
    assert not deleted & live_b

    # Again, as a scheduled sync would: PyAirbyte sends the cached tables whole again, and
    # the upserts change nothing in B (not even a time of change).
    sandbox.reset_stats(target["domain_key"])
    again, second = pyairbyte.run(
        [
            {"do": "read", "config": source_domain, "cache": cache, "name": "a"},
            {"do": "write", "config": target, "read": "a"},
        ]
    )
    assert again["ok"]["processed_records"] == 0
    assert "ok" in second, second
    assert sandbox.stats(target["domain_key"])["requests"] > 0  # it did write again
    assert source_read(files, target).records == b.records


def test_every_message_the_connectors_print_is_valid_for_airbyte_s_models(
    pyairbyte: PyAirbyte,
    sandbox: SandboxServer,
    source_domain: dict[str, Any],
    files: Files,
    tmp_path: Path,
) -> None:
    key = source_domain["domain_key"]
    config = files.json({**source_domain, "page_size": 7})
    catalog = files.json(configured_catalog())
    target = files.json(
        {"domain_key": sandbox.create_domain("validate-b"), "base_url": sandbox.base_url}
    )
    outputs: list[bytes] = []

    def capture(command: str, *args: str, stdin: bytes | None = None) -> Run:
        run = run_connector(command, *args, stdin=stdin, secrets=(key,))
        outputs.append(run.stdout)
        return run

    capture("source-ossit", "spec")
    capture("source-ossit", "check", "--config", config)
    capture("source-ossit", "check", "--config", files.json({**source_domain, "page_size": 0}))
    capture("source-ossit", "discover", "--config", config)
    capture("source-ossit", "read", "--config", config, "--catalog", catalog)
    sandbox.add_fault(key, status=401, path="/v1/api/points", count=10)
    capture("source-ossit", "read", "--config", config, "--catalog", catalog, "--debug")
    sandbox.clear_faults(key)
    capture("destination-ossit", "spec")
    capture("destination-ossit", "check", "--config", target)
    read_output = outputs[4]
    capture("destination-ossit", "write", "--config", target, "--catalog", catalog,
            stdin=read_output)  # fmt: skip
    capture("destination-ossit", "write", "--config", target, "--catalog", catalog,
            stdin=b"not json\n")  # fmt: skip
    paths = []
    for number, output in enumerate(outputs):
        path = tmp_path / f"output-{number}.jsonl"
        path.write_bytes(output)
        paths.append(str(path))

    (answer,) = pyairbyte.run([{"do": "validate", "files": paths}])

    assert answer["ok"]["problems"] == []
    assert answer["ok"]["messages"] == sum(len(o.splitlines()) for o in outputs) > 100


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace's wheels, as a release would publish them."""
    return build_all(tmp_path_factory.mktemp("wheels"), "--wheel")


def test_pyairbyte_installs_the_connectors_itself_from_a_pip_url(
    pyairbyte: PyAirbyte,
    sandbox: SandboxServer,
    source_domain: dict[str, Any],
    files: Files,
    tmp_path: Path,
    wheels: Path,
) -> None:
    """The way PyAirbyte users add a connector: ``pip_url``, each in a venv PyAirbyte makes."""
    target = {"domain_key": sandbox.create_domain("pip-url-b"), "base_url": sandbox.base_url}
    version = metadata.version("airbyte-source-ossit")
    pip_url = {
        name: f"--find-links {wheels} {name}=={version}"
        for name in ("airbyte-source-ossit", "airbyte-destination-ossit")
    }
    cache = str(tmp_path / "cache.duckdb")

    check, read, write = pyairbyte.run(
        [
            {"do": "check", "config": source_domain, "pip_url": pip_url["airbyte-source-ossit"]},
            {"do": "read", "config": source_domain, "cache": cache, "name": "a",
             "pip_url": pip_url["airbyte-source-ossit"]},
            {"do": "write", "config": target, "read": "a",
             "pip_url": pip_url["airbyte-destination-ossit"]},
        ]
    )  # fmt: skip

    assert check == {"ok": "SUCCEEDED"}, check
    assert "ok" in read and "ok" in write, (read, write)
    installed = sorted(p.name for p in (pyairbyte.folder / "project").glob(".venv-*"))
    assert installed == [".venv-destination-ossit", ".venv-source-ossit"]
    a = source_read(files, source_domain)
    assert {s: len(read["ok"]["rows"][s]) for s in STREAM_NAMES} == a.counts()
    assert live_content(source_read(files, target)) == live_content(a)


README = Path(__file__).parents[2] / "README.md"
EXACT = (5e-324, 1e-10, 1.2345678901234567, 1e29, 1.7976931348623157e308, 0.1, -2.5e-7)
"""Doubles a DECIMAL(38, 9) cache column would change (to 0, to 1.23456789) or refuse."""


def readme_snippet(base_url: str) -> str:
    """The README's read-then-write PyAirbyte snippet, on this workspace's executables and
    the sandbox (its only changes: the executables' folder and a ``base_url`` setting)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    (code,) = [block for block in blocks if "destination.write(result)" in block]
    for old, new, count in (
        ("/path/to/venv/bin/", f"{Path(SOURCE).parent}/", 2),
        ('{"domain_key": KEY_A}', f'{{"domain_key": KEY_A, "base_url": "{base_url}"}}', 1),
        ('{"domain_key": KEY_B}', f'{{"domain_key": KEY_B, "base_url": "{base_url}"}}', 1),
    ):
        assert code.count(old) == count, f"the README's snippet no longer has {old!r}"
        code = code.replace(old, new)
    return code


def domain_content(sandbox: SandboxServer, key: str) -> dict[str, list[tuple[Any, ...]]]:
    """A domain's live records by ``LIVE_FIELDS``, sorted; numbers by their exact text."""
    with OssitClient(key, base_url=sandbox.base_url) as api:
        records = {
            "statistic_groups": api.statistic_groups.list(),
            "statistics": api.statistics.list(),
            "points": api.points.list(),
            "intervals": api.intervals.list(),
        }
        return {
            kind: sorted(
                tuple(json.dumps(r[f], sort_keys=True) for f in LIVE_FIELDS[kind])
                for r in records[kind]
                if r["deleted_at"] is None
            )
            for kind in LIVE_FIELDS
        }


def test_the_readme_snippet_run_again_and_again_copies_every_value_exactly(
    pyairbyte: PyAirbyte, sandbox: SandboxServer, domain_key: str
) -> None:
    """A scheduled sync: the README's snippet run four times in a row, the source domain
    changed between runs; every run succeeds and leaves B equal to A, bit for bit. (Before:
    DECIMAL(38, 9) values, and from the second run on PyAirbyte's own state table refused
    destination-ossit's echoed STATEs with a duplicate key: 1,800 points keep PyAirbyte
    reading its cache while the destination acknowledges the streams before them.) The
    snippet reads into PyAirbyte's default cache, which no other test of the module uses."""
    a = domain_key
    b = sandbox.create_domain("readme-snippet-b")
    sandbox.generate(a, groups=2, statistics=3, days=300, intervals=3, seed=11)
    code = readme_snippet(sandbox.base_url)
    with OssitClient(a, base_url=sandbox.base_url) as api:
        api.statistic_groups.create("exact")
        api.statistics.create("exact", "doubles", unit="1")
        for day, value in enumerate(EXACT, start=1):
            api.statistics.set_value("exact", "doubles", value, reference_date=f"2026-03-{day:02d}")
        statistic = next(s for s in api.statistics.list() if s["group"] != "exact")
        point = next(iter(api.points.list(group=statistic["group"], statistic=statistic["name"])))
        interval = next(iter(api.intervals.list()))
        between_runs = [
            [
                lambda: api.statistics.set_value(
                    "exact", "doubles", 2.2250738585072014e-308, reference_date="2026-03-01"
                ),
                lambda: api.statistic_groups.update("exact", description="described"),
            ],
            [
                lambda: api.intervals.delete(interval["id"]),
                lambda: api.statistics.delete_point(
                    statistic["group"], statistic["name"], point["reference_date"]
                ),
                lambda: api.statistics.create(
                    "exact", "later", 1e-300, reference_date="2026-04-01"
                ),
            ],
            [lambda: api.statistics.purge(statistic["group"], statistic["name"])],
        ]
        with pyairbyte.session() as step:
            for run, changes in enumerate([[], *between_runs]):
                for change in changes:
                    change()
                answer = step({"do": "script", "code": code, "names": {"KEY_A": a, "KEY_B": b}})

                assert "ok" in answer, (run, answer.get("traceback"))
                assert domain_content(sandbox, b) == domain_content(sandbox, a), run
    exact = {
        r[3] for r in domain_content(sandbox, b)["points"] if r[:2] == ('"exact"', '"doubles"')
    }
    assert exact == {json.dumps(v) for v in (2.2250738585072014e-308, *EXACT[1:])}
    assert a not in pyairbyte.output
