"""What a message crossing instances through Redis adds, beside the same message on one
instance, in one run; and what reading around the consent-ledger cache costs.

    .venv/bin/python -m tests.benchmarks.cross_instance [--messages 300] [--warmup 30]
        [--detection]

One embedded store child, one Debian `redis-server` on a free loopback port and two real
apps (`create_app`, REDIS_URL set, served on 127.0.0.1 in this process), A and B, on the
same database. A customer on A opens a conversation that nobody joins, so both agents
receive every message: agent-a on A (delivered in process) and agent-b on B (published on
Redis by A, rendered by B from the store). The customer sends one message at a time and
waits for its ack and both agents' `message.new` before the next. Per message: `local` =
send -> agent-a's frame, `remote` = send -> agent-b's frame; the added cost of crossing
is their difference (medians of both, and the median of the per-message differences).
The clients run in this process too, so every figure includes their share of the loop.

Then, with Redis up, the ledger read of `granted()` on A is timed from the cache and
around it (the cache emptied before each read: what every read costs while the instance
is not subscribed to Redis).

Everything listens on 127.0.0.1; the store child, redis-server and the temporary
directory are removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import aiohttp

from chat_service import keys
from chat_service.auth import Role
from tests.benchmarks import redis_pair
from tests.benchmarks.chat_throughput import detection
from tests.helpers.redis import RedisServer

READS = 500


async def timed_arrival(ws: aiohttp.ClientWebSocketResponse) -> float:
    await redis_pair.next_frame(ws, "message.new")
    return time.perf_counter()


async def measure(args: argparse.Namespace, store_uri: str, redis: RedisServer) -> None:
    base = redis_pair.pair_settings(redis, "bench_cross_")
    async with detection(args.detection) as scanner:
        app_a, app_b = redis_pair.make_pair(base, store_uri, scanner)
        async with redis_pair.served_pair(app_a, app_b) as (port_a, port_b):
            tokens = app_a[keys.TOKENS]

            def url(port: int, role: Role, sub: str) -> str:
                return f"ws://{redis_pair.HOST}:{port}/ws?token={tokens.issue(role, sub)}"

            async with aiohttp.ClientSession() as session:
                customer = await session.ws_connect(url(port_a, Role.CUSTOMER, "cust-1"))
                agent_a = await session.ws_connect(url(port_a, Role.AGENT, "agent-a"))
                agent_b = await session.ws_connect(url(port_b, Role.AGENT, "agent-b"))
                for ws in (customer, agent_a, agent_b):
                    await redis_pair.next_frame(ws, "hello")
                local: list[float] = []
                remote: list[float] = []
                for i in range(args.warmup + args.messages):
                    arrivals = [
                        asyncio.create_task(timed_arrival(agent_a)),
                        asyncio.create_task(timed_arrival(agent_b)),
                    ]
                    sent = time.perf_counter()
                    await redis_pair.send_message(customer, i)
                    await redis_pair.next_frame(customer, "message.ack")
                    at_a, at_b = await asyncio.gather(*arrivals)
                    if i >= args.warmup:
                        local.append(at_a - sent)
                        remote.append(at_b - sent)
                for ws in (customer, agent_a, agent_b):
                    await ws.close()

            ledger = app_a[keys.STORE].consents
            cached: list[float] = []
            around: list[float] = []
            await ledger.granted("cust-1", "customer_service")
            for _ in range(READS):
                started = time.perf_counter()
                await ledger.granted("cust-1", "customer_service")
                cached.append(time.perf_counter() - started)
                ledger.clear()
                started = time.perf_counter()
                await ledger.granted("cust-1", "customer_service")
                around.append(time.perf_counter() - started)

    differences = [r - loc for r, loc in zip(remote, local, strict=True)]
    print(f"messages: {args.messages} (after {args.warmup} warm-up), detection: {args.detection}")
    print(f"local  (agent on A, in process): {redis_pair.ms(local)}")
    print(f"remote (agent on B, via Redis):  {redis_pair.ms(remote)}")
    added = statistics.median(remote) - statistics.median(local)
    print(f"added p50 (difference of medians): {added * 1000:.2f} ms")
    print(f"added p50 (median of per-message differences): {redis_pair.ms(differences)}")
    print(f"ledger granted(): cached {redis_pair.ms(cached)}; ", end="")
    print(f"around the cache {redis_pair.ms(around)}")


async def main() -> int:
    args = redis_pair.parse_args(__doc__.split("\n\n")[0], messages=300, warmup=30)
    return await redis_pair.run_with_store_and_redis(args, measure)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
