"""A library never patches its host: importing every package, building a client, a loader and a
reader, and making a request leave ``logging``, ``sys``, the signal handlers and urllib3 as
they were (issue 22, part 2).

Run in a fresh interpreter (a subprocess), since this test process has long imported all of
them: the script snapshots what a host owns, imports and works, snapshots again and prints
every difference. Loggers of our own packages may carry our masking filter (they are ours);
no other logger, and no handler, may.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ossit_sandbox.launcher import SandboxServer

OURS = (
    "ossit_client",
    "ossit_sync",
    "tap_ossit",
    "target_ossit",
    "ossit_airbyte",
    "source_ossit",
    "destination_ossit",
    "ossit_sandbox",
)

SCRIPT = textwrap.dedent(
    """
    import logging, os, signal, sys, threading
    import urllib3, urllib3.poolmanager, urllib3.connectionpool

    OURS = tuple(sys.argv[2].split(","))

    def loggers():
        found = dict(logging.root.manager.loggerDict)
        return {
            name: (tuple(log.handlers), tuple(log.filters), log.level, log.propagate)
            for name, log in found.items()
            if isinstance(log, logging.Logger)
        }

    def snapshot():
        root = logging.getLogger()
        signals = {
            number: signal.getsignal(number)
            for number in signal.valid_signals()
            if number not in (signal.SIGKILL, signal.SIGSTOP)
        }
        return {
            "Logger.makeRecord": logging.Logger.makeRecord,
            "Logger.handle": logging.Logger.handle,
            "Handler.handle": logging.Handler.handle,
            "record factory": logging.getLogRecordFactory(),
            "logger class": logging.getLoggerClass(),
            "root handlers": tuple(root.handlers),
            "root filters": tuple(root.filters),
            "root level": root.level,
            "lastResort": logging.lastResort,
            "disable": logging.root.manager.disable,
            "switch interval": sys.getswitchinterval(),
            "excepthook": sys.excepthook,
            "threading.excepthook": threading.excepthook,
            "signals": signals,
            "pool_classes_by_scheme": dict(urllib3.poolmanager.pool_classes_by_scheme),
            "PoolManager": dict(vars(urllib3.PoolManager)),
            "HTTPConnectionPool": dict(vars(urllib3.HTTPConnectionPool)),
            "HTTPSConnectionPool": dict(vars(urllib3.HTTPSConnectionPool)),
            "HTTPConnection": dict(vars(urllib3.connection.HTTPConnection)),
        }

    before, loggers_before = snapshot(), loggers()

    import ossit_client, ossit_sync, tap_ossit, target_ossit, ossit_airbyte
    import source_ossit, destination_ossit, ossit_sandbox
    from ossit_client import OssitClient
    from ossit_client._masking import SECRET_FILTER
    from ossit_sync.loading import BatchLoader
    from ossit_sync.reading import KindReader, ReadOptions

    client = OssitClient(os.environ["GOOD_CITIZEN_KEY"], base_url=sys.argv[1])
    loader = BatchLoader(lambda: client, lambda state: None, batch_size=10)
    reader = KindReader(lambda: client, "statistic_groups", ReadOptions())
    assert list(client.statistic_groups.list()) == []
    client.close()

    after, loggers_after = snapshot(), loggers()
    changed = [name for name in before if before[name] != after[name]]
    changed += [
        f"logger {name}" for name, state in loggers_before.items()
        if loggers_after.get(name) != state and not name.startswith(OURS)
    ]
    for name, (handlers, filters, _, _) in loggers_after.items():
        if not name.startswith(OURS) and SECRET_FILTER in filters:
            changed.append(f"logger {name} filtered")
        if any(SECRET_FILTER in handler.filters for handler in handlers):
            changed.append(f"handler of {name} filtered")
    print("changed:", changed)
    """
)


def test_importing_and_using_the_packages_leaves_the_host_as_it_was(
    sandbox: SandboxServer, domain_key: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, sandbox.base_url, ",".join(OURS)],
        env={**os.environ, "GOOD_CITIZEN_KEY": domain_key, "OSSIT_CLIENT_STATE_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "changed: []"
    assert sandbox.stats(domain_key)["requests"] == 1  # the request was made
