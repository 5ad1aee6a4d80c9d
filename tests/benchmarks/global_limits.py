"""What counting a customer's frames and messages in Redis (net/global_limits.py) adds to
a message, beside the same message counted on the instance alone, in one run.

    .venv/bin/python -m tests.benchmarks.global_limits [--messages 400] [--warmup 40]
        [--detection]

One embedded store child, one Debian `redis-server` on a free loopback port and two real
apps on the same database, both with REDIS_URL (the same fan-out cost): `global` counts
its customers' limits in Redis (as `serve` does), `local` has the same tables without
the shared side (one instance's behaviour). A customer on each sends one message at a
time, alternately, and waits for its ack (send -> ack; a message costs one Redis script
call for its frame and message buckets). Prints p50/p90 of both, the difference of medians, and the
time of one shared bucket decision on its own. Limits are high enough never to refuse.
The clients run in this process too, so every figure includes their share of the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import time

import aiohttp

from chat_service import keys
from chat_service.auth import Role
from tests.benchmarks import redis_pair
from tests.benchmarks.chat_throughput import detection
from tests.helpers.redis import RedisServer

DECISIONS = 2000


async def send_and_ack(ws: aiohttp.ClientWebSocketResponse, i: int) -> float:
    started = time.perf_counter()
    await redis_pair.send_message(ws, i)
    await redis_pair.next_frame(ws, "message.ack")
    return time.perf_counter() - started


async def measure(args: argparse.Namespace, store_uri: str, redis: RedisServer) -> None:
    base = redis_pair.pair_settings(redis, "bench_limits_")
    async with detection(args.detection) as scanner:
        app_global, app_local = redis_pair.make_pair(base, store_uri, scanner)
        app_local[keys.RATES] = dataclasses.replace(app_local[keys.RATES], shared=None)
        shared = app_global[keys.RATES].shared
        assert shared is not None
        async with redis_pair.served_pair(app_global, app_local) as (port_global, port_local):
            tokens = app_global[keys.TOKENS]

            def url(port: int, sub: str) -> str:
                return f"ws://{redis_pair.HOST}:{port}/ws?token={tokens.issue(Role.CUSTOMER, sub)}"

            timed: dict[str, list[float]] = {"global": [], "local": []}
            async with aiohttp.ClientSession() as session:
                sockets = {
                    "global": await session.ws_connect(url(port_global, "cust-global")),
                    "local": await session.ws_connect(url(port_local, "cust-local")),
                }
                for ws in sockets.values():
                    await redis_pair.next_frame(ws, "hello")
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
    print(f"local  (per instance):  {redis_pair.ms(timed['local'])}")
    print(f"global (Redis scripts): {redis_pair.ms(timed['global'])}")
    added = statistics.median(timed["global"]) - statistics.median(timed["local"])
    print(f"added p50 per message (difference of medians): {added * 1000:.2f} ms")
    print(f"one shared bucket decision: {redis_pair.ms(decisions)}")
    print(
        "fallbacks: "
        + ", ".join(
            f"{limit} {fallbacks.labels(limit)._value.get():.0f}"
            for limit in ("frames", "messages", "customer_writes", "sockets")
        )
    )


async def main() -> int:
    args = redis_pair.parse_args(__doc__.split("\n\n")[0], messages=400, warmup=40)
    return await redis_pair.run_with_store_and_redis(args, measure)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
