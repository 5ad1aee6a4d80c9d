"""What counting a customer's frames and messages in Redis (net/global_limits.py) adds to
a message, beside the same message counted on the instance alone, in one run.

    .venv/bin/python -m tests.benchmarks.global_limits [--messages 400] [--warmup 40]
        [--detection]

One embedded store child, one Debian `redis-server` on a free loopback port and two real
apps on the same database, both with REDIS_URL (the same fan-out cost): `global` counts
its customers' limits in Redis (as `serve` does), `local` has the same tables without
the shared side (one instance's behaviour). A customer on each sends one message at a
time, alternately, and waits for its ack (send -> ack; a message costs two Redis scripts:
its frame and its message). Prints p50/p90 of both, the difference of medians, and the
time of one shared bucket decision on its own. Limits are high enough never to refuse.
The clients run in this process too, so every figure includes their share of the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from chat_service import keys
from chat_service.app import create_app
from chat_service.auth import Role
from chat_service.fanout_redis import RedisFanOut
from chat_service.settings import Secret, Settings
from tests.benchmarks.chat_throughput import detection, serve, start_store, stop_process
from tests.helpers.ports import free_port
from tests.helpers.redis import RedisServer
from tests.helpers.settings import UNLIMITED_RATES, settings_with

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
FRAME_TIMEOUT_SECS = 10.0
DECISIONS = 2000


async def next_frame(ws: aiohttp.ClientWebSocketResponse, frame_type: str) -> dict[str, Any]:
    async with asyncio.timeout(FRAME_TIMEOUT_SECS):
        while True:
            frame: dict[str, Any] = json.loads((await ws.receive()).data)
            if frame.get("type") == frame_type:
                return frame


def ms(values: list[float]) -> str:
    values = sorted(values)
    p50 = statistics.median(values) * 1000
    p90 = values[int(len(values) * 0.9)] * 1000
    return f"p50 {p50:.2f} ms, p90 {p90:.2f} ms"


async def send_and_ack(ws: aiohttp.ClientWebSocketResponse, i: int) -> float:
    started = time.perf_counter()
    await ws.send_str(
        json.dumps(
            {
                "type": "message.send",
                "client_id": uuid.uuid4().hex,
                "kind": "text",
                "text": f"message number {i} about my order",
            }
        )
    )
    await next_frame(ws, "message.ack")
    return time.perf_counter() - started


async def measure(args: argparse.Namespace, store_uri: str, redis: RedisServer) -> None:
    base = Settings.load(REPO / "config", Path(tempfile.gettempdir()), {})
    base = settings_with(
        base.with_overrides(secret=Secret(secrets.token_urlsafe(48)), redis_url=Secret(redis.url)),
        store={"database": "bench_limits_" + secrets.token_hex(4)},
        limits=UNLIMITED_RATES,
    )
    async with detection(args.detection) as scanner:
        app_global = create_app(base, store_uri=store_uri, scanner=scanner)
        app_local = create_app(base, store_uri=store_uri, scanner=scanner)
        app_local[keys.RATES] = dataclasses.replace(app_local[keys.RATES], shared=None)
        shared = app_global[keys.RATES].shared
        assert shared is not None
        async with serve(app_global) as port_global, serve(app_local) as port_local:
            for app in (app_global, app_local):
                fanout = app[keys.FANOUT]
                assert isinstance(fanout, RedisFanOut)
                async with asyncio.timeout(FRAME_TIMEOUT_SECS):
                    await fanout.wait_connected()
            tokens = app_global[keys.TOKENS]

            def url(port: int, sub: str) -> str:
                return f"ws://{HOST}:{port}/ws?token={tokens.issue(Role.CUSTOMER, sub)}"

            timed: dict[str, list[float]] = {"global": [], "local": []}
            async with aiohttp.ClientSession() as session:
                sockets = {
                    "global": await session.ws_connect(url(port_global, "cust-global")),
                    "local": await session.ws_connect(url(port_local, "cust-local")),
                }
                for ws in sockets.values():
                    await next_frame(ws, "hello")
                for i in range(args.warmup + args.messages):
                    order = ("global", "local") if i % 2 else ("local", "global")
                    for name in order:
                        took = await send_and_ack(sockets[name], i)
                        if i >= args.warmup:
                            timed[name].append(took)
                for ws in sockets.values():
                    await ws.close()

            decisions: list[float] = []
            for _ in range(DECISIONS):
                started = time.perf_counter()
                await shared.take("frames", "customer:bench", 1_000_000.0, 1_000_000)
                decisions.append(time.perf_counter() - started)
            fallbacks = app_global[keys.METRICS].global_limits_fallback

    print(
        f"messages: {args.messages} each (after {args.warmup} warm-up), detection: {args.detection}"
    )
    print(f"local  (per instance):  {ms(timed['local'])}")
    print(f"global (Redis scripts): {ms(timed['global'])}")
    added = statistics.median(timed["global"]) - statistics.median(timed["local"])
    print(f"added p50 per message (difference of medians): {added * 1000:.2f} ms")
    print(f"one shared bucket decision: {ms(decisions)}")
    print(
        "fallbacks: "
        + ", ".join(
            f"{limit} {fallbacks.labels(limit)._value.get():.0f}"
            for limit in ("frames", "messages", "sockets")
        )
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--detection", action="store_true", help="scan with a real pool")
    args = parser.parse_args()
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


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
