"""The domain key appears in no log line (any logger, DEBUG), exception, repr, output or file."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import ossit_client as oc
import pytest
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer

MakeClient = Callable[..., OssitClient]


def test_the_key_never_leaks(
    sandbox: SandboxServer,
    domain_key: str,
    make_client: MakeClient,
    state_dir: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_key = domain_key[::-1] + "x"
    client = make_client(sandbox.base_url, domain_key)
    stranger = make_client(sandbox.base_url, wrong_key)
    texts = [repr(client), repr(stranger), str(client.counters), repr(client._session.auth)]

    # a retried 503, a lost answer, then failures of several kinds
    sandbox.add_fault(domain_key, status=503, method="POST", path="/v1/api/statistic-groups")
    client.statistic_groups.create("g")
    sandbox.add_fault(domain_key, status=200, method="PUT", drop=True)
    client.statistic_groups.update("g", description="d")
    errors: list[oc.OssitError] = []
    for call in (
        lambda: client.statistic_groups.get("missing"),
        lambda: client.points.batch([{"group": "g"}]),
        lambda: stranger.statistic_groups.get("g"),
        lambda: make_client("http://127.0.0.1:9", domain_key, max_retries=1).points.batch([]),
    ):
        with pytest.raises(oc.OssitError) as caught:
            call()
        errors.append(caught.value)
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    # even a careless log line on the client's loggers is masked
    logging.getLogger("ossit_client._base_client").warning("key is %s", domain_key)

    assert client.counters.retries_by_reason == {"503": 1, "connection": 1}
    assert "key is ***" in caplog.text
    out, err = capfd.readouterr()
    for secret in (domain_key, wrong_key):
        assert secret not in caplog.text
        assert all(secret not in record.getMessage() for record in caplog.records)
        assert all(secret not in text for text in texts)
        assert secret not in out + err
        for path in state_dir.iterdir():
            assert secret.encode() not in path.read_bytes()
            assert secret not in path.name
