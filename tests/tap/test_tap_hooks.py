"""A stream's documented hook, `post_process`, runs on the page-at-a-time path.

tap-ossit writes a page of records at once instead of through singer-sdk's per-record
pipeline (`_sdk.PagedStream._sync_records`); a stream subclass that overrides
`post_process` still sees every record, with its partition, before selection and stream
maps, and drops the records it returns None for, as in the SDK.
"""

from __future__ import annotations

import typing as t

from ossit_sandbox.launcher import SandboxServer
from tap_ossit.client import OssitStream
from tap_ossit.streams import STREAMS, STREAMS_BY_KIND
from tap_ossit.tap import TapOssit
from tap_runs import TapOutput, _captured, run_in_process

PointsStream = STREAMS_BY_KIND["points"]  # one class per kind, made from ossit_schemas.KINDS


class EvenDaysStream(PointsStream):
    """Points of even days only, their value tenfold; notes the partitions it was given."""

    def __init__(self, tap: TapOssit) -> None:
        super().__init__(tap)
        self.contexts: list[dict[str, t.Any] | None] = []

    def post_process(
        self, row: dict[str, t.Any], context: dict[str, t.Any] | None = None
    ) -> dict[str, t.Any] | None:
        self.contexts.append(context)
        if _day(row) % 2:
            return None
        row["value"] *= 10
        return row


class HookedTap(TapOssit):
    """tap-ossit with the stream above for points: what a user's subclass would do."""

    def discover_streams(self) -> list[OssitStream]:
        return [(EvenDaysStream if cls is PointsStream else cls)(tap=self) for cls in STREAMS]


def _day(record: dict[str, t.Any]) -> int:
    return int(record["reference_date"][-2:])


def _hooked_run(
    config: dict[str, t.Any], state: dict[str, t.Any] | None = None
) -> tuple[TapOutput, EvenDaysStream]:
    tap = HookedTap(config=dict(config), state=state)
    try:
        output = _captured(tap.sync_all)
    finally:
        tap.close()
    stream = tap.streams["points"]
    assert isinstance(stream, EvenDaysStream)
    return output, stream


def test_post_process_drops_and_changes_records_before_stream_maps(
    sandbox: SandboxServer, domain_key: str, tap_config: dict[str, t.Any], read_domain: t.Any
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=2, days=10, intervals=2, seed=61)
    groups = sorted(g["name"] for g in read_domain()["statistic_groups"].values())
    config = {**tap_config, "groups": groups, "page_size": 7}
    plain = run_in_process(config)
    mapped = {**config, "stream_maps": {"points": {"double": "value * 2"}}}

    hooked, stream = _hooked_run(mapped)

    assert len(plain.records["points"]) == 2 * 2 * 10
    kept = [
        {**record, "value": record["value"] * 10}
        for record in plain.records["points"]
        if _day(record) % 2 == 0
    ]
    assert [{k: v for k, v in r.items() if k != "double"} for r in hooked.records["points"]] == kept
    assert all(r["double"] == r["value"] * 2 for r in hooked.records["points"])  # maps come after
    for other in ("statistic_groups", "statistics", "intervals"):
        assert hooked.records[other] == plain.records[other]
    # Every record read was offered to the hook, with its partition (one per group).
    assert len(stream.contexts) == len(plain.records["points"])
    assert {c["group"] for c in stream.contexts if c is not None} == set(groups)
    # A dropped record was read all the same: the bookmarks move past it, as the plain run's.
    bookmarks = hooked.final_state["bookmarks"]["points"]
    assert bookmarks == plain.final_state["bookmarks"]["points"]
    again, _ = _hooked_run(mapped, hooked.final_state)
    assert again.records["points"] == []


def test_a_record_limit_counts_the_records_post_process_keeps(
    sandbox: SandboxServer, domain_key: str, tap_config: dict[str, t.Any], read_domain: t.Any
) -> None:
    """A dry run's limit (`--test`, `run_sync_dry_run`) stops after that many records
    emitted, and its state covers exactly the records read up to the last of them."""
    sandbox.generate(domain_key, groups=1, statistics=1, days=12, intervals=0, seed=62)
    config = {**tap_config, "page_size": 4}
    read = sorted(read_domain()["points"].values(), key=lambda r: (r["updated_at"], r["id"]))
    tap = HookedTap(config=config)
    try:
        output = _captured(lambda: tap.run_sync_dry_run(dry_run_record_limit=3))
    finally:
        tap.close()

    kept = [r for r in read if _day(r) % 2 == 0][:3]
    assert [r["id"] for r in output.records["points"]] == [r["id"] for r in kept]
    bookmark = output.final_state["bookmarks"]["points"]["replication_key_value"]
    assert bookmark == kept[-1]["updated_at"]
