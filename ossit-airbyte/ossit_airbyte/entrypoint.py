"""The Airbyte command line every Ossit connector shares: commands, files, how runs end.

``source-ossit spec|check|discover|read`` and ``destination-ossit spec|check|write`` are
this one entry point over a ``Connector``. It owns what the protocol asks of every
connector: standard output holds protocol messages only (logs as LOG messages), settings
are checked against the specification before anything else, secrets are masked in
everything printed, ``check`` answers with a CONNECTION_STATUS (a bad setting is a failed
check, not a crash), and any other failure ends with one TRACE error message of the right
``failure_type`` and exit code 1; the traceback only with ``--debug``.

SIGTERM and SIGINT stop a run between two lines of output, never inside one
(``ossit_sync.stopping``): it ends with a TRACE error, exit 1, and the last STATE passed on
is safe to resume from. Once the run's last message is written (``spec``, ``check`` and
``discover`` have one), a signal ends the process as by default (after a failure's TRACE
it is ignored: the exit status stays 1): PyAirbyte terminates those commands as soon as it
has read their message and takes exit 0 or -15 as success.
A standard output whose reader has gone (EPIPE) ends the run with one line on standard
error instead, exit 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, Protocol

from airbyte_protocol_dataclasses.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConnectorSpecification,
    Status,
    Type,
)
from ossit_client.settings import mask, masked_setting_errors, register_secrets
from ossit_sync.stopping import Stopped, discard_output, finished, stop_on_signals, whole

from ossit_airbyte.failures import failure_text, failure_type
from ossit_airbyte.inputs import ConfigError, config_errors, read_json
from ossit_airbyte.logs import send_logs_to
from ossit_airbyte.messages import MessageWriter, error_trace

logger = logging.getLogger(__name__)

Config = Mapping[str, Any]


class Connector(Protocol):
    """What a connector implements; ``commands`` maps its other commands to their runners."""

    name: str

    def spec(self) -> ConnectorSpecification:
        """Its specification (the connection settings' JSON Schema among it)."""

    def setting_errors(self, config: Config) -> list[str]:
        """What its specification cannot check of a config, one line per bad setting."""

    def check(self, config: Config) -> AirbyteConnectionStatus:
        """Whether the config connects: one cheap request, its answer said plainly."""

    def commands(self) -> dict[str, Command]:
        """Its commands besides spec and check, with the files each takes."""


class Command(Protocol):
    """A command run with its checked config and parsed arguments."""

    files: tuple[str, ...]
    """Its file options besides --config: ``catalog``, ``state`` (optional)."""

    def __call__(self, config: Config, args: argparse.Namespace, writer: MessageWriter) -> None:
        """Run; raise on failure (the entry point reports it)."""


def launch(connector: Connector, argv: Sequence[str] | None = None) -> NoReturn:
    """Run ``connector`` with the command line ``argv`` and exit with its status."""
    commands = connector.commands()
    args = _parser(connector.name, commands).parse_args(argv)
    writer = MessageWriter()
    send_logs_to(writer, debug=args.debug)
    try:
        stop_on_signals()
        if args.command == "spec":
            writer.write(AirbyteMessage(type=Type.SPEC, spec=connector.spec()))
        elif args.command == "check":
            writer.write(
                AirbyteMessage(
                    type=Type.CONNECTION_STATUS, connectionStatus=_check(connector, args.config)
                )
            )
        else:
            config = _config(connector, args.config)
            commands[args.command](config, args, writer)
        finished()  # the run is done: a signal can no longer make it fail
    except (Exception, Stopped) as exc:
        with whole():  # a second signal does not cut the report short
            if writer.closed:
                _report_on_stderr(connector.name, exc, debug=args.debug)
            else:
                _report(connector.name, exc, writer, debug=args.debug)
            finished(failed=True)
        _exit(writer, 1)
    _exit(writer, 0)


def _exit(writer: MessageWriter, status: int) -> NoReturn:
    """Exit; quietly if standard output's reader has gone (see ``discard_output``)."""
    if writer.closed:
        discard_output()
    sys.exit(status)


def _parser(name: str, commands: Mapping[str, Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=name, description=f"{name}: an Airbyte connector.")
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", help="log at DEBUG, tracebacks included")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("spec", parents=[debug], help="print the connector's specification")
    check = sub.add_parser("check", parents=[debug], help="check the config connects")
    check.add_argument("--config", required=True)
    for command_name, command in commands.items():
        command_parser = sub.add_parser(command_name, parents=[debug])
        command_parser.add_argument("--config", required=True)
        for file in command.files:
            optional = file == "state"
            command_parser.add_argument(f"--{file}", required=not optional)
    return parser


def _config(connector: Connector, path: str) -> dict[str, Any]:
    """The config at ``path``, its secrets registered for masking, checked; or ConfigError."""
    config = read_json(path, "config")
    if not isinstance(config, dict):
        raise ConfigError(f"config file {path}: a JSON object expected")
    register_secrets(config)
    specification = connector.spec().connectionSpecification
    errors = config_errors(config, specification) or connector.setting_errors(config)
    if errors:
        raise ConfigError(
            "invalid configuration: " + "; ".join(masked_setting_errors(config, errors))
        )
    return config


def _check(connector: Connector, path: str) -> AirbyteConnectionStatus:
    """A failed status for a config that cannot work, whatever the reason; never a crash."""
    try:
        return connector.check(_config(connector, path))
    except Exception as exc:
        logger.debug("The check failed, in detail", exc_info=exc)
        return AirbyteConnectionStatus(status=Status.FAILED, message=mask(failure_text(exc)))


def _report(name: str, exc: BaseException, writer: MessageWriter, *, debug: bool) -> None:
    """The run's last word: one TRACE error message (its details only with ``--debug``)."""
    if isinstance(exc, Stopped):
        text = f"{name} {exc} before the end of its run; the last STATE it passed on is safe"
    else:
        text = mask(f"{name} failed: {failure_text(exc)}")
    stream = getattr(exc, "stream", None)
    internal = mask(f"{type(exc).__name__}: {exc}")
    if debug:
        logger.debug("What failed, in detail", exc_info=exc)
    writer.write(
        error_trace(
            text,
            failure_type(exc),
            internal=internal,
            stream=stream if isinstance(stream, str) else None,
            stack=mask("".join(traceback.format_exception(exc))) if debug else None,
        )
    )


def _report_on_stderr(name: str, exc: BaseException, *, debug: bool) -> None:
    """The run's last word when no message can reach standard output's reader any more."""
    if debug:
        print(mask("".join(traceback.format_exception(exc))), file=sys.stderr, end="")
    print(
        f"{name} stopped: its standard output was closed before the end of its run (broken "
        "pipe); what it passed on before stands",
        file=sys.stderr,
    )


__all__ = ["Command", "Config", "Connector", "launch"]
