"""The Airbyte command line every Ossit connector shares: commands, files, how runs end.

``source-ossit spec|check|discover|read`` and ``destination-ossit spec|check|write`` are
this one entry point over a ``Connector``. It owns what the protocol asks of every
connector: standard output holds protocol messages only (logs as LOG messages), settings
are checked against the specification before anything else, secrets are masked in
everything printed, ``check`` answers with a CONNECTION_STATUS (a bad setting is a failed
check, not a crash), and any other failure ends with one TRACE error message of the right
``failure_type`` and exit code 1; the traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import traceback
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any, NoReturn, Protocol

from airbyte_protocol_dataclasses.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConnectorSpecification,
    Status,
    Type,
)
from ossit_client.settings import mask, register_secrets

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


class TerminatedError(BaseException):
    """The orchestrator asked the connector to stop (SIGTERM): not an error of the data."""


def launch(connector: Connector, argv: Sequence[str] | None = None) -> NoReturn:
    """Run ``connector`` with the command line ``argv`` and exit with its status."""
    commands = connector.commands()
    args = _parser(connector.name, commands).parse_args(argv)
    writer = MessageWriter()
    send_logs_to(writer, debug=args.debug)
    signal.signal(signal.SIGTERM, _terminate)
    try:
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
    except (Exception, TerminatedError) as exc:
        _report(connector.name, exc, writer, debug=args.debug)
        sys.exit(1)
    sys.exit(0)


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
        raise ConfigError("invalid configuration: " + "; ".join(errors))
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


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise TerminatedError("stopped by SIGTERM")


__all__ = ["Command", "Config", "Connector", "TerminatedError", "launch"]
