"""What the benchmarks of two apps on one store and one Redis share (cross_instance.py,
global_limits.py): the store child and a `redis-server` on free loopback ports, the
settings (REDIS_URL set, a fresh database, flood limits lifted), the two apps served in
this process once both are subscribed, and their command line and figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from chat_service import keys
from chat_service.app import create_app
from chat_service.fanout_redis import RedisFanOut
from chat_service.scanning import Scanner
from chat_service.settings import Secret, Settings
from tests.benchmarks.chat_throughput import serve, start_store, stop_process
from tests.helpers.ports import free_port
from tests.helpers.redis import RedisServer
from tests.helpers.settings import UNLIMITED_RATES, settings_with

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
FRAME_TIMEOUT_SECS = 10.0

Measure = Callable[[argparse.Namespace, str, RedisServer], Awaitable[None]]


async def next_frame(ws: aiohttp.ClientWebSocketResponse, frame_type: str) -> dict[str, Any]:
    """The next frame of `frame_type` on `ws` (others are skipped)."""
    async with asyncio.timeout(FRAME_TIMEOUT_SECS):
        while True:
            frame: dict[str, Any] = json.loads((await ws.receive()).data)
            if frame.get("type") == frame_type:
                return frame


async def send_message(ws: aiohttp.ClientWebSocketResponse, i: int) -> None:
    """The customer's `i`-th text message, with a new client_id."""
    frame = {
        "type": "message.send",
        "client_id": uuid.uuid4().hex,
        "kind": "text",
        "text": f"message number {i} about my order",
    }
    await ws.send_str(json.dumps(frame))


def ms(values: list[float]) -> str:
    """p50 and p90 of durations in seconds, in milliseconds."""
    values = sorted(values)
    p50 = statistics.median(values) * 1000
    p90 = values[int(len(values) * 0.9)] * 1000
    return f"p50 {p50:.2f} ms, p90 {p90:.2f} ms"


def pair_settings(redis: RedisServer, database_prefix: str) -> Settings:
    """The repository's settings with REDIS_URL, a new database and no flood limits."""
    base = Settings.load(REPO / "config", Path(tempfile.gettempdir()), {})
    return settings_with(
        base.with_overrides(secret=Secret(secrets.token_urlsafe(48)), redis_url=Secret(redis.url)),
        store={"database": database_prefix + secrets.token_hex(4)},
        limits=UNLIMITED_RATES,
    )


def make_pair(
    settings: Settings, store_uri: str, scanner: Scanner
) -> tuple[web.Application, web.Application]:
    """Two apps on one store (not served yet: change them first if need be)."""
    return (
        create_app(settings, store_uri=store_uri, scanner=scanner),
        create_app(settings, store_uri=store_uri, scanner=scanner),
    )


@contextlib.asynccontextmanager
async def served_pair(
    first: web.Application, second: web.Application
) -> AsyncIterator[tuple[int, int]]:
    """Both apps served on 127.0.0.1, each subscribed to Redis; yields their ports."""
    async with serve(first) as first_port, serve(second) as second_port:
        for app in (first, second):
            fanout = app[keys.FANOUT]
            assert isinstance(fanout, RedisFanOut)
            async with asyncio.timeout(FRAME_TIMEOUT_SECS):
                await fanout.wait_connected()
        yield first_port, second_port


def parse_args(description: str, messages: int, warmup: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--messages", type=int, default=messages)
    parser.add_argument("--warmup", type=int, default=warmup)
    parser.add_argument("--detection", action="store_true", help="scan with a real pool")
    return parser.parse_args()


async def run_with_store_and_redis(args: argparse.Namespace, measure: Measure) -> int:
    """`measure` with an embedded store child and a redis-server, both removed after it."""
    with tempfile.TemporaryDirectory() as tmp:
        store, uri = await start_store(Path(tmp) / "store.sqlite")
        redis = RedisServer(free_port())
        try:
            await redis.start()
            await measure(args, uri, redis)
        finally:
            await redis.kill()
            await stop_process(store)
    return 0
