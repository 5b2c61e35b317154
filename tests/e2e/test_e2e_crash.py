"""A migration killed at a random moment resumes, as Meltano resumes it, to exactly its source.

Each scenario copies domain A into an empty domain B through `tap-ossit | target-ossit`,
SIGKILLs the tap, the target or the sandbox at a seeded random moment mid-stream, resumes
from the last state the target printed, and compares B with A key by key. Method `add` (a
stream map on the target) makes a point written twice visible: into an empty B each value
must be added exactly once. The harness is `bench/crash.py`, so `python -m bench.crash
--seeds N` runs the very same scenarios over many more seeds; a failure lists every run of
the scenario and the first differences.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

# bench/ is a folder of the checkout, not an installed package: import it from there.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.crash import KINDS, METHODS, VICTIMS, CrashHarness, Scenario, compare, scenarios

SEEDS = (1, 2)
"""12 scenarios in about 40 s on 2 cores; `python -m bench.crash` runs many more."""


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashHarness]:
    """One sandbox for the module, calibrated by uninterrupted migrations of the first seed."""
    with CrashHarness(tmp_path_factory.mktemp("crash")) as harness:
        harness.calibrate(SEEDS[0])
        yield harness


def test_compare_tells_double_application_and_resurrection() -> None:
    """The verdict itself: a value added twice, and a deleted record brought back, are named."""
    expected = {kind: {} for kind in KINDS} | {
        "points": {("g", "s", "2025-01-01"): 1.1, ("g", "s", "2025-01-02"): 2.0}
    }
    actual = {kind: {} for kind in KINDS} | {
        "statistic_groups": {"gone": {"description": None}},
        "points": {("g", "s", "2025-01-01"): 1.1 + 1.1 + 1.1, ("g", "s", "2025-01-02"): 2.5},
    }
    tombstones = {kind: set() for kind in KINDS} | {"statistic_groups": {"gone"}}

    lines, applied = compare(expected, actual, tombstones)

    assert applied == Counter({3: 1})
    assert lines == [
        "statistic_groups: A has 0, B has 1: 0 missing, 1 extra (1 deleted in A), 0 differ",
        "  extra 'gone' (deleted in A): {'description': None}",
        "points: A has 2, B has 2: 0 missing, 0 extra (0 deleted in A), 2 differ (1 applied 3x)",
        "  ('g', 's', '2025-01-01'): A 1.1, B 3.3000000000000003 (applied 3x)",
        "  ('g', 's', '2025-01-02'): A 2.0, B 2.5",
    ]


def test_uninterrupted_migration_copies_the_source(harness: CrashHarness) -> None:
    """The control: with no kill B equals A, so a mismatch below is the crash's doing."""
    assert [control.scenario.method for control in harness.controls] == list(METHODS)
    for control in harness.controls:
        assert control.ok, control.report()


@pytest.mark.parametrize(
    "scenario", scenarios(SEEDS, METHODS, VICTIMS), ids=lambda scenario: scenario.name
)
def test_killed_migration_resumes_to_the_source(harness: CrashHarness, scenario: Scenario) -> None:
    outcome = harness.run(scenario)
    if not outcome.ok:
        pytest.fail(outcome.report(), pytrace=False)
    assert outcome.kills == 1, f"the run ended before the kill:\n{outcome.report()}"
