"""PyAirbyte in an environment of its own, made by the tests, and a way to run steps in it.

PyAirbyte pins libraries the workspace cannot share (airbyte-cdk among them), so it gets a
virtual environment of its own, made with uv from ``pyairbyte/requirements.txt`` in the
session's temporary folder. Everything it would write (logs, caches, telemetry files) is
kept in that folder, its telemetry is off and it never asks the internet for Airbyte's
connector registry: the connectors are this workspace's executables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "pyairbyte"
SOURCE = str(Path(sys.executable).with_name("source-ossit"))
DESTINATION = str(Path(sys.executable).with_name("destination-ossit"))
STEP_TIMEOUT = 600


class PyAirbyte:
    """PyAirbyte's environment in ``folder``; ``run`` runs steps of ``pyairbyte/driver.py``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.python = folder / "venv" / "bin" / "python"
        self._runs = 0
        for name in ("logs", "cache", "project", "tmp", "home"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "DO_NOT_TRACK": "1",  # no telemetry, no ~/.airbyte/analytics.yml
            "AIRBYTE_OFFLINE_MODE": "1",  # no registry lookup (and no telemetry)
            "AIRBYTE_LOCAL_REGISTRY": "0",
            "AIRBYTE_LOGGING_ROOT": str(folder / "logs"),
            "AIRBYTE_CACHE_ROOT": str(folder / "cache"),
            "AIRBYTE_PROJECT_DIR": str(folder / "project"),
            "AIRBYTE_TEMP_DIR": str(folder / "tmp"),
            "HOME": str(folder / "home"),
            "NO_LIVE_PROGRESS": "1",
            "PYTHONWARNINGS": "ignore::FutureWarning",
            "UV_PYTHON_DOWNLOADS": "never",  # PyAirbyte makes connector venvs with uv
        }
        self.env.pop("VIRTUAL_ENV", None)

    def install(self) -> None:
        """Make the environment (uv: seconds; pip would take minutes)."""
        uv = os.environ.get("UV", "uv")  # `uv run` names its own binary in $UV
        env = self.env
        venv = self.folder / "venv"
        for command in (
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [uv, "pip", "install", "--quiet", "--python", str(self.python),
             "-r", str(HERE / "requirements.txt")],
        ):  # fmt: skip
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            assert done.returncode == 0, f"{command[:3]} failed:\n{done.stderr[-3000:]}"

    def _plan(self, steps: list[dict[str, Any]]) -> Path:
        self._runs += 1
        plan = self.folder / f"plan-{self._runs}.json"
        plan.write_text(json.dumps({"source": SOURCE, "destination": DESTINATION, "steps": steps}))
        return plan

    def run(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run ``steps`` in one PyAirbyte process; one answer per step (see the driver)."""
        plan = self._plan(steps)
        answers = self.folder / f"answers-{self._runs}.json"
        done = subprocess.run(
            [str(self.python), str(HERE / "driver.py"), str(plan), str(answers)],
            env=self.env,
            cwd=self.folder / "project",
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"the PyAirbyte driver failed:\n{done.stderr[-5000:]}"
        self.output = done.stdout + done.stderr
        result: list[dict[str, Any]] = json.loads(answers.read_text())
        return result

    @contextmanager
    def session(self) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
        """One PyAirbyte process that runs each step as it is given and answers it, so that
        a test changes the sandbox between steps without importing PyAirbyte again."""
        plan = self._plan([])
        log = self.folder / f"session-{self._runs}.log"
        answers_fd, driver_fd = os.pipe()
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [str(self.python), str(HERE / "driver.py"), "--serve", str(plan), str(driver_fd)],
                env=self.env,
                cwd=self.folder / "project",
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                pass_fds=(driver_fd,),
            )
        os.close(driver_fd)
        assert process.stdin is not None
        stdin = process.stdin

        def step(one: dict[str, Any]) -> dict[str, Any]:
            stdin.write(json.dumps(one) + "\n")
            stdin.flush()
            line = answers.readline()
            assert line, f"the PyAirbyte driver stopped:\n{log.read_text()[-5000:]}"
            answer: dict[str, Any] = json.loads(line)
            return answer

        with open(answers_fd, encoding="utf-8") as answers:
            try:
                yield step
            finally:
                stdin.close()
                process.wait(timeout=STEP_TIMEOUT)
                self.output = log.read_text()
