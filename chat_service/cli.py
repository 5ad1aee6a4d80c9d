"""`chat-service`: serve | token | detect (see CONTRACT.md §2)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from aiohttp import web

from chat_service.auth import Role, TokenService
from chat_service.errors import ConfigError
from chat_service.logs import AccessLogger, configure_logging
from chat_service.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chat-service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP + WebSocket server")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--config", type=Path, default=None, help="configuration directory")
    serve.add_argument("--data", type=Path, default=Path("var"), help="embedded store data")
    serve.add_argument("--log-level", default="INFO")

    token = commands.add_parser("token", help="print a signed access token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--sub", required=True)
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.add_argument("--age", type=int, default=None, help="the customer's age in years")
    token.add_argument("--lang", choices=["en", "zh"], default=None, help="preferred language")
    token.add_argument("--config", type=Path, default=None)

    detect = commands.add_parser("detect", help="PII detection filter: JSON lines in and out")
    detect.add_argument("--language", choices=["en", "zh"], default=None)
    detect.add_argument("--config", type=Path, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        match args.command:
            case "serve":
                return _serve(args)
            case "token":
                return _token(args)
            case "detect":
                return _detect(args)
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
        print(service.issue(Role(args.role), args.sub, args.ttl, extra=extra))
    except ValueError as exc:
        sys.stderr.write(f"chat-service token: {exc}\n")
        return 2
    return 0


def _detect(args: argparse.Namespace) -> int:
    from detectors import default_config_dir, run_filter

    config_dir = args.config or default_config_dir()
    return run_filter(sys.stdin, sys.stdout, args.language, config_dir)


def _serve(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    settings = Settings.load(args.config, args.data)
    host = args.host or settings.config.server.host
    port = settings.config.server.port if args.port is None else args.port
    return asyncio.run(_run_server(settings, host, port))


async def _run_server(settings: Settings, host: str, port: int) -> int:
    from chat_service.app import create_app

    app = create_app(settings, host=host)
    runner = web.AppRunner(
        app,
        access_log_class=AccessLogger,
        shutdown_timeout=settings.config.server.shutdown_grace_secs,
        handle_signals=False,
    )
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0] if runner.addresses else (host, port)
        shown = f"[{bound[0]}]" if ":" in str(bound[0]) else bound[0]
        print(f"chat-service serving on http://{shown}:{bound[1]}", flush=True)
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
