"""The command line: create-domain prints only the key; generate is deterministic; demo."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ossit_sandbox", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _content(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return (
            conn.execute(
                "SELECT g.name, s.name, p.reference_date, p.value FROM points p"
                " JOIN statistics s ON s.id = p.statistic_id JOIN groups g ON g.id = s.group_id"
                " ORDER BY 1, 2, 3"
            ).fetchall()
            + conn.execute(
                'SELECT external_id, type, start, "end", metadata, deleted_at IS NULL'
                " FROM intervals ORDER BY 1"
            ).fetchall()
        )


def test_create_domain_prints_only_the_key(tmp_path: Path) -> None:
    done = _cli("create-domain", "--db", str(tmp_path / "a.db"), "Shop", "--time-zone",
                "America/Toronto")  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dk_") and " " not in lines[0]
    bad = _cli("create-domain", "--db", str(tmp_path / "a.db"), "X", "--time-zone", "Nowhere")
    assert bad.returncode == 2


def test_generate_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    contents, summaries = [], []
    for name in ("one.db", "two.db"):
        db = tmp_path / name
        key = _cli("create-domain", "--db", str(db), "gen").stdout.strip()
        options = ["--groups", "2", "--statistics", "3", "--days", "10", "--intervals", "14"]
        done = _cli("generate", "--db", str(db), "--domain", key, *options, "--seed", "9")
        assert done.returncode == 0, done.stderr
        summaries.append(json.loads(done.stdout))
        contents.append(_content(db))
    assert summaries[0] == summaries[1] == {
        "statistic_groups": 2, "statistics": 6, "points": 60, "intervals": 14,
        "intervals_open": 2, "intervals_deleted": 2,
    }  # fmt: skip
    assert contents[0] == contents[1]
    assert len(contents[0]) == 60 + 14
    unknown = _cli("generate", "--db", str(tmp_path / "one.db"), "--domain", "dk_nope")
    assert unknown.returncode == 1 and "dk_nope" not in unknown.stderr


def test_generate_twice_into_one_domain_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    key = _cli("create-domain", "--db", db, "gen").stdout.strip()
    assert _cli("generate", "--db", db, "--domain", key, "--days", "2").returncode == 0
    again = _cli("generate", "--db", db, "--domain", key, "--days", "2")
    assert again.returncode == 1 and "already has a group" in again.stderr


def test_demo_creates_realistic_data(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    done = _cli("demo", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("dk_")
    with sqlite3.connect(db) as conn:
        groups = {r[0] for r in conn.execute("SELECT name FROM groups")}
        kinds = {r[0] for r in conn.execute("SELECT DISTINCT type FROM intervals")}
        open_runs = conn.execute('SELECT count(*) FROM intervals WHERE "end" IS NULL').fetchone()
    assert groups == {"Website Traffic", "Automations", "Production Line 1"}
    assert kinds == {"run", "batch", "state"}
    assert open_runs[0] >= 1
