"""Random bad Singer lines after a valid prefix: the target fails cleanly and loses nothing.

Each example is a real ``target-ossit`` process on the session sandbox, fed points with a
STATE after some of them, then one bad line (random JSON, a random or broken message, a
record breaking its schema, an unknown stream, a huge or deeply nested value), then more
valid input.  Whatever the bad line, the run must exit non-zero with one readable last
line and no traceback, and every state it passed on must be covered by the destination.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import ossit_schemas
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer
from target_records import _point

_runs = itertools.count(1)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def _record(record: dict[str, Any], stream: str = "points") -> dict[str, Any]:
    return {"type": "RECORD", "stream": stream, "record": record}


_containers = st.lists(_json, max_size=3) | st.dictionaries(st.text(max_size=8), _json, max_size=3)
_broken_point = st.one_of(
    st.builds(
        lambda field, value: _record({**_point("g", "s", 900, 1.0), field: value}),
        st.sampled_from(["value", "reference_date", "group", "statistic"]),
        _containers | st.builds(_nested, st.integers(200, 400)),
    ),
    st.builds(
        lambda value: _record({**_point("g", "s", 900, 1.0), "value": value}),
        st.just("9" * 100_000) | st.text(max_size=10) | st.booleans(),
    ),
)


_bad_lines = st.one_of(
    # Not a JSON object, or not JSON at all.
    st.text(st.characters(exclude_characters="\r\n"), max_size=40).filter(
        lambda t: t.strip() and not t.strip().startswith("{")
    ),
    (_json.filter(lambda v: not isinstance(v, dict))).map(json.dumps),
    st.dictionaries(st.text(max_size=8), _json, max_size=4)
    .filter(lambda d: "type" not in d)
    .map(json.dumps),
    # A message of an unknown type, or a known one missing what it needs.
    st.text(max_size=10)
    .filter(lambda t: t not in {"RECORD", "SCHEMA", "STATE", "ACTIVATE_VERSION", "BATCH"})
    .map(lambda t: json.dumps({"type": t, "stream": "points"})),
    st.sampled_from(
        [
            {"type": "STATE"},
            {"type": "RECORD", "stream": "points"},
            {"type": "SCHEMA", "stream": "points"},
            _record(_point("g", "s", 901, 1.0), stream="nowhere"),
            {
                "type": "SCHEMA",
                "stream": "nowhere",
                "schema": {"type": "object", "properties": {}},
                "key_properties": [],
            },
        ]
    ).map(json.dumps),
    # A record that breaks the schema, with random, huge or deeply nested values.
    _broken_point.map(json.dumps),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=st.integers(0, 2500),
    # At least 5 records per STATE: a batch per STATE keeps a run under 600 requests, well
    # inside the session sandbox's 1000 per key and hour (beyond, the run would wait).
    state_every=st.integers(5, 1200),
    bad=_bad_lines,
    batch_size=st.sampled_from([7, 1000]),
)
def test_a_bad_line_never_crashes_succeeds_or_loses_what_was_acknowledged(
    before: int,
    state_every: int,
    bad: str,
    batch_size: int,
    sandbox: SandboxServer,
    target_cli: Any,
) -> None:
    run_id = next(_runs)
    key = sandbox.create_domain(f"fuzz-{run_id}", time_zone="UTC")
    target_cli.config = {"domain_key": key, "base_url": sandbox.base_url}
    lines = [
        json.dumps(
            {
                "type": "SCHEMA",
                "stream": "points",
                "schema": ossit_schemas.record_schema("points"),
                "key_properties": ["id"],
            }
        )
    ]
    for n in range(1, before + 1):
        lines.append(json.dumps(_record(_point("g", "s", n, float(n)))))
        if n % state_every == 0:
            lines.append(json.dumps({"type": "STATE", "value": {"points": n}}))
    lines.append(bad)
    lines.extend(json.dumps(_record(_point("g", "s", n, 0.5))) for n in range(3000, 3005))
    lines.append(json.dumps({"type": "STATE", "value": {"points": "after"}}))
    source = target_cli.workdir / f"input-{run_id}.singer"
    source.write_text("\n".join(lines) + "\n")

    run = target_cli.run(source, batch_size=batch_size)

    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    last = [line for line in run.stderr.splitlines() if line.strip()][-1]
    assert "target-ossit failed:" in last
    assert f"input line {len(lines) - 6}" in last, last
    passed_on = [state["points"] for state in run.states]
    assert "after" not in passed_on
    assert passed_on == sorted(passed_on)
    with OssitClient(key, base_url=sandbox.base_url) as client:
        held = {p["reference_date"]: p["value"] for p in client.points.list()}
    covered = max(passed_on, default=0)
    for n in range(1, covered + 1):
        assert held[_point("g", "s", n, 0.0)["reference_date"]] == float(n)
    assert len(held) <= before
