"""`python -m bench all|smoke`: run the benchmarks, print the table, write the JSON.

A benchmark that cannot be measured (a program fails or gives a wrong result)
is reported under `errors` and makes the exit status 1; a goal not met is only
shown in the table, since this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import REPO_ROOT, airbyte, rate_limit, sandbox, shared_budget, tap, target
from bench.environment import Environment
from bench.harness import say
from bench.profiles import PROFILES
from bench.report import Metric, render_table, write_json

BENCHMARKS: dict[str, Callable[[Environment], list[Metric]]] = {
    "sandbox": sandbox.run,
    "tap": tap.run,
    "rate-limit": rate_limit.run,
    "shared-budget": lambda env: shared_budget.run(env.path("shared-budget")),
    "target": target.run,
    "airbyte": airbyte.run,
}
"""In running order: the sandbox benchmark generates the source domains the taps read."""
DEFAULT_OUTPUT = {"all": "bench/results/latest.json", "smoke": "bench/results/smoke.json"}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("profile", choices=sorted(PROFILES), help="all: 1M points; smoke: 10k")
    parser.add_argument(
        "--output", type=Path, help="JSON file (default bench/results/PROFILE.json)"
    )
    parser.add_argument(
        "--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS), metavar="NAME"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder and its logs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    profile = PROFILES[arguments.profile]
    output = arguments.output or REPO_ROOT / DEFAULT_OUTPUT[profile.name]
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix=f"ossit-bench-{profile.name}-"))
    # The programs under test keep their request budget in this folder, not in the user's cache:
    # every run starts with a fresh budget and leaves nothing behind.
    os.environ["OSSIT_CLIENT_STATE_DIR"] = str(workdir / "client-state")
    # Installed programs normally start from cached bytecode; without it every start of the
    # SDK-based programs would spend a second compiling (see `harness.warm_up`).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    environment = Environment(profile, workdir)
    metrics: list[Metric] = []
    errors: dict[str, str] = {}
    try:
        for name in arguments.only:
            say(f"benchmark {name}")
            try:
                metrics += BENCHMARKS[name](environment)
            except Exception as error:
                errors[name] = f"{type(error).__name__}: {error}"
                say(f"benchmark {name} failed:\n{traceback.format_exc()}")
    finally:
        environment.close()
    duration_s = time.perf_counter() - start
    write_json(
        output,
        profile=profile.name,
        started_at=started_at,
        duration_s=duration_s,
        metrics=metrics,
        errors=errors,
    )
    print(render_table(metrics))
    print(f"\n{profile.name} run of {started_at}, {duration_s / 60:.1f} min; JSON in {output}")
    if errors or arguments.keep:
        say(f"work folder and logs kept in {workdir}")
    else:
        shutil.rmtree(workdir)
    for name, error in errors.items():
        print(f"ERROR in {name}: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
