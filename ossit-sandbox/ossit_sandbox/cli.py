"""The ``ossit-sandbox`` command line: serve, create-domain, generate, demo."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ossit_schemas import RATE_LIMIT_DEFAULT, RATE_LIMIT_WINDOW_SECONDS

from ossit_sandbox.connections import IDLE_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS
from ossit_sandbox.errors import ApiError
from ossit_sandbox.timefmt import check_time_zone


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _time_zone(text: str) -> str:
    try:
        return check_time_zone(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ossit-sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--port", type=int, default=8765, help="0 picks a free port (the ready line names it)"
    )
    serve.add_argument("--db", required=True, help="SQLite file (created if missing)")
    serve.add_argument(
        "--rate-limit", type=int, default=RATE_LIMIT_DEFAULT, help="requests per window per key"
    )
    serve.add_argument(
        "--rate-window",
        type=float,
        default=float(RATE_LIMIT_WINDOW_SECONDS),
        help="window in seconds",
    )
    serve.add_argument(
        "--fail-rate",
        type=_fraction,
        default=0.0,
        help="fraction of requests answered 500/503 before anything changes",
    )
    serve.add_argument(
        "--drop-rate",
        type=_fraction,
        default=0.0,
        help="fraction of writes applied, then the connection closed unanswered",
    )
    serve.add_argument("--fault-seed", type=int, default=None, help="seed of the random faults")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    serve.add_argument(
        "--read-timeout",
        type=_positive,
        default=READ_TIMEOUT_SECONDS,
        help="seconds a client has to send a whole request, from connecting or the last answer",
    )
    serve.add_argument(
        "--idle-timeout",
        type=int,
        default=IDLE_TIMEOUT_SECONDS,
        help="seconds a keep-alive connection may stay idle after an answer",
    )
    serve.add_argument("--log-level", default="warning")

    create = commands.add_parser("create-domain", help="create a domain, print its key")
    create.add_argument("--db", required=True)
    create.add_argument("name")
    create.add_argument("--time-zone", type=_time_zone, default="UTC")

    generate = commands.add_parser("generate", help="fill a domain with synthetic data")
    generate.add_argument("--db", required=True)
    generate.add_argument("--domain", required=True, help="the domain's key")
    generate.add_argument("--groups", type=int, default=3)
    generate.add_argument("--statistics", type=int, default=5, help="per group")
    generate.add_argument("--days", type=int, default=30, help="daily points per statistic")
    generate.add_argument("--intervals", type=int, default=10)
    generate.add_argument("--seed", type=int, default=0)

    demo = commands.add_parser("demo", help="create a small realistic domain, print its key")
    demo.add_argument("--db", required=True)
    return parser  # fmt: skip


def _serve(args: argparse.Namespace) -> None:
    import socket

    import uvicorn

    from ossit_sandbox.app import create_app
    from ossit_sandbox.connections import read_deadline_protocol
    from ossit_sandbox.control import Settings

    class ReadyServer(uvicorn.Server):
        """uvicorn's server, saying on stderr once its socket accepts connections."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # the app's startup ran and the socket listens
                host, port = self.servers[0].sockets[0].getsockname()[:2]
                shown = f"[{host}]" if ":" in host else host
                url = f"http://{shown}:{port}"
                db = os.path.abspath(args.db)
                print(f"ossit-sandbox ready on {url} (database {db})", file=sys.stderr, flush=True)

    settings = Settings(
        db=args.db,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        fault_seed=args.fault_seed,
        latency_ms=args.latency_ms,
    )
    config = uvicorn.Config(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        timeout_graceful_shutdown=3,
        http=read_deadline_protocol(args.read_timeout),
        timeout_keep_alive=args.idle_timeout,
    )
    ReadyServer(config).run()


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            _serve(args)
        elif args.command == "create-domain":
            from ossit_sandbox.auth import create_domain
            from ossit_sandbox.store.db import Store

            print(create_domain(Store(args.db), args.name, args.time_zone).key)
        elif args.command == "generate":
            from ossit_sandbox.generator import generate

            summary = generate(
                args.db, args.domain, groups=args.groups, statistics=args.statistics,
                days=args.days, intervals=args.intervals, seed=args.seed,
            )  # fmt: skip
            print(json.dumps(summary))
        else:
            from ossit_sandbox.demo import create_demo

            print(create_demo(args.db))
    except ApiError as exc:
        print(f"ossit-sandbox: {exc.message}", file=sys.stderr)
        return 1
    return 0
