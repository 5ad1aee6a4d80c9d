"""`chat-service`: serve | store | token | detect | retention run | privacy export|delete|report."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import signal
import sys
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from chat_service.auth import Identity, Role, TokenService, customer_name, customer_profile
from chat_service.errors import ConfigError, Unauthenticated
from chat_service.logs import AccessLogger, configure_logging
from chat_service.settings import Settings

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chat-service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP + WebSocket server")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--config", type=Path, default=None, help="configuration directory")
    serve.add_argument("--data", type=Path, default=Path("var"), help="embedded store data")
    serve.add_argument("--log-level", default="INFO")

    store = commands.add_parser("store", help="run the embedded store on its own (no HTTP)")
    store.add_argument("--data", type=Path, default=Path("var"), help="embedded store data")
    store.add_argument("--config", type=Path, default=None, help="configuration directory")
    store.add_argument("--log-level", default="INFO")

    token = commands.add_parser("token", help="print a signed access token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--sub", required=True)
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.add_argument("--age", type=int, default=None, help="the customer's age in years")
    token.add_argument("--lang", choices=["en", "zh"], default=None, help="preferred language")
    token.add_argument("--name", default=None, help="the customer's display name")
    token.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a shop field shown to agents (repeatable), e.g. order=A-1001",
    )
    token.add_argument("--config", type=Path, default=None)

    detect = commands.add_parser("detect", help="PII detection filter: JSON lines in and out")
    detect.add_argument("--language", choices=["en", "zh"], default=None)
    detect.add_argument("--config", type=Path, default=None)

    retention = commands.add_parser("retention", help="retention rules")
    retention_commands = retention.add_subparsers(dest="retention_command", required=True)
    run = retention_commands.add_parser("run", help="apply the retention rules once")
    run.add_argument("--dry-run", action="store_true", help="change nothing; report the same")
    run.add_argument("--now", type=_aware_datetime, default=None, help="ISO 8601 (tests)")
    _data_arguments(run)

    privacy = commands.add_parser("privacy", help="customers' rights and the officer's report")
    privacy_commands = privacy.add_subparsers(dest="privacy_command", required=True)
    for name, help_text in (
        ("export", "print everything held about a customer as JSON"),
        ("delete", "file and carry out a deletion request; print its record"),
    ):
        command = privacy_commands.add_parser(name, help=help_text)
        command.add_argument("--customer", required=True)
        _data_arguments(command)
    _data_arguments(privacy_commands.add_parser("report", help="the privacy officer's report"))

    search = commands.add_parser("search", help="full-text search (docs/search.md)")
    search_commands = search.add_subparsers(dest="search_command", required=True)
    _data_arguments(
        search_commands.add_parser(
            "backfill", help="give search terms to messages stored before they existed"
        )
    )
    return parser


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("var"), help="embedded store data")
    parser.add_argument("--config", type=Path, default=None, help="configuration directory")


def _aware_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from exc
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2026-11-26T03:00:00+00:00")
    return moment


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        match args.command:
            case "serve":
                return _serve(args)
            case "store":
                return _store(args)
            case "token":
                return _token(args)
            case "detect":
                return _detect(args)
            case "retention" | "privacy" | "search":
                configure_logging("WARNING")
                return asyncio.run(_data_command(args))
    except ConfigError as exc:
        sys.stderr.write(f"chat-service: configuration error: {exc}\n")
        return 2
    return 2  # pragma: no cover  # argparse enforces a command


def _token(args: argparse.Namespace) -> int:
    settings = Settings.load(args.config)
    # Tokens are for the server on this configuration: sign as it would verify.
    secret = settings.signing_secret(settings.config.server.host)
    service = TokenService(secret, settings.config.auth)
    try:
        extra: dict[str, object] = {}
        if args.age is not None:
            extra["age"] = args.age
        if args.lang is not None:
            extra["lang"] = args.lang
        if args.name is not None:
            extra["name"] = customer_name(args.name)
        if args.profile:
            pairs = [item.partition("=") for item in args.profile]
            if any(not sep for _, sep, _ in pairs):
                raise ValueError("--profile takes KEY=VALUE")
            extra["profile"] = customer_profile({key: value for key, _, value in pairs})
        sys.stdout.write(service.issue(Role(args.role), args.sub, args.ttl, extra=extra) + "\n")
    except (ValueError, Unauthenticated) as exc:
        sys.stderr.write(f"chat-service token: {exc}\n")
        return 2
    return 0


def _detect(args: argparse.Namespace) -> int:
    from detectors import default_config_dir, run_filter

    config_dir = args.config or default_config_dir()
    return run_filter(sys.stdin, sys.stdout, args.language, config_dir)


async def _data_command(args: argparse.Namespace) -> int:
    """retention run / privacy export|delete|report / search backfill, on the store the
    settings name."""
    from chat_service.data_commands import data_services
    from chat_service.privacy import deletion, export, report, retention

    settings = await asyncio.to_thread(Settings.load, args.config, args.data)
    operator = Identity(Role.PRIVACY_OFFICER, "cli:" + getpass.getuser())
    result: object  # only printed as JSON
    code = 0
    async with data_services(settings) as services:
        if args.command == "retention":
            summary = await retention.run_retention(
                services,
                settings.files.retention,  # read and checked by Settings.load
                now=args.now or services.clock(),
                dry_run=args.dry_run,
                holder=retention.default_holder("cli"),
                failures=services.metrics.retention_failures,
            )
            result, code = summary.to_json(), 0 if summary.ok else 1
        elif args.command == "search":
            result = {"backfilled": await services.store.search.backfill()}
        elif args.privacy_command == "export":
            result = await export.export_customer(
                services, args.customer, operator, export.REASON_OFFICER_CLI
            )
        elif args.privacy_command == "delete":
            record = await deletion.file_and_carry_out(
                services, operator, args.customer, notifier=services.notifier
            )
            result = deletion.public(record)
        else:
            result = await report.privacy_report(
                services.store, settings, services.clock(), notifier=services.notifier
            )
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    return code


def _serve(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    settings = Settings.load(args.config, args.data)
    host = args.host or settings.config.server.host
    port = settings.config.server.port if args.port is None else args.port
    return asyncio.run(_run_server(settings, host, port))


async def _run_server(settings: Settings, host: str, port: int) -> int:
    from chat_service import keys
    from chat_service.app import create_app
    from chat_service.gc_pauses import freeze_startup_objects, tune_collection_thresholds
    from chat_service.net.guard import GuardedAppRunner
    from chat_service.net.sockets import install_accept_error_limiter, raise_fd_limit

    fd_limit = raise_fd_limit()
    app = create_app(settings, host=host)
    runner = GuardedAppRunner(
        app,
        access_log_class=AccessLogger,
        shutdown_timeout=settings.config.server.shutdown_grace_secs,
        handle_signals=False,
    )
    logger.info(
        "connection limits",
        extra={"fd_limit": fd_limit, "max_connections": runner.guard.max_total},
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    install_accept_error_limiter(loop, settings.config.connections.refusal_log_interval_secs)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # Start-up (the store child, the detection workers) takes seconds: a signal meanwhile
        # abandons it, and the cleanup below stops whatever had already started.
        if not await _unless_stopped(runner.setup(), stop):
            logger.info("stopped during start-up")
            return 0
        site = web.TCPSite(runner, host, port)
        await site.start()
        # Everything start-up made lives as long as the process: no collection walks it
        # again (a full one took 220-350 ms on 2 busy cores; chat_service/gc_pauses.py).
        frozen = freeze_startup_objects()
        logger.info("start-up objects frozen out of garbage collection", extra={"objects": frozen})
        # Smaller, more frequent young collections with many sockets open (gc_pauses.py).
        thresholds = tune_collection_thresholds()
        logger.info("garbage-collection thresholds", extra={"thresholds": list(thresholds)})
        bound = runner.addresses[0] if runner.addresses else (host, port)
        shown = f"[{bound[0]}]" if ":" in str(bound[0]) else bound[0]
        sys.stdout.write(f"chat-service serving on http://{shown}:{bound[1]}\n")
        sys.stdout.write(f"chat-service metrics on {app[keys.METRICS_URL]}\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
    return 0


def _store(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    settings = Settings.load(args.config, args.data)
    return asyncio.run(_run_store(settings))


async def _run_store(settings: Settings) -> int:
    """The embedded store of `settings.data_dir` on its own, owned by this process until
    SIGINT/SIGTERM; `serve` and the data commands on the same data directory attach to it."""
    from chat_service.storage.embedded import EmbeddedStore, StoreAlreadyRunning

    store = EmbeddedStore(
        settings.data_dir,
        restart_delay_secs=settings.config.store.embedded_restart_delay_secs,
        attach=False,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def start() -> None:
        await store.start()

    try:
        if not await _unless_stopped(start(), stop):
            logger.info("stopped during start-up")
            return 0
        sys.stdout.write(f"chat-service store on {store.uri}\n")
        sys.stdout.flush()
        await stop.wait()
    except StoreAlreadyRunning as exc:
        sys.stderr.write(f"chat-service store: {exc}\n")
        return 1
    finally:
        await store.stop()
    return 0


async def _unless_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> bool:
    """Run `work` to its end (True; its errors raised) unless `stop` is set first: then
    cancel it and return False."""
    task = asyncio.create_task(work)
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    task.result()
    return True


if __name__ == "__main__":
    sys.exit(main())
