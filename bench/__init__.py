"""Benchmarks of the Ossit connector pair, each taken as a ratio within one run.

`uv run python -m bench all` starts its own sandboxes on 127.0.0.1, generates the
data, runs every benchmark and prints one table (the README's performance
section); `python -m bench smoke` runs the same steps on 10k points for CI.
This machine is small and shared, so absolute speeds are not comparable across
runs: every figure is a ratio against a baseline measured alternately in the same run.

`uv run python -m bench.shared_budget` is measured on its own (about 20 s): two processes
sharing one key's budget against the fastest legal schedule, the figure the client tests
used to assert as a wall time.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The checkout, the working directory of every benchmarked subprocess (so `-m bench.…` imports)."""
