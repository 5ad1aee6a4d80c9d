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
READS = 500


async def next_frame(ws: aiohttp.ClientWebSocketResponse, frame_type: str) -> dict[str, Any]:
    async with asyncio.timeout(FRAME_TIMEOUT_SECS):
        while True:
            frame: dict[str, Any] = json.loads((await ws.receive()).data)
            if frame.get("type") == frame_type:
                return frame


async def timed_arrival(ws: aiohttp.ClientWebSocketResponse) -> float:
    await next_frame(ws, "message.new")
    return time.perf_counter()


def ms(values: list[float]) -> str:
    values = sorted(values)
    p50 = statistics.median(values) * 1000
    p90 = values[int(len(values) * 0.9)] * 1000
    return f"p50 {p50:.2f} ms, p90 {p90:.2f} ms"


async def measure(args: argparse.Namespace, store_uri: str, redis: RedisServer) -> None:
    secret = secrets.token_urlsafe(48)
    base = Settings.load(REPO / "config", Path(tempfile.gettempdir()), {})
    base = settings_with(
        base.with_overrides(secret=Secret(secret), redis_url=Secret(redis.url)),
        store={"database": "bench_cross_" + secrets.token_hex(4)},
        limits=UNLIMITED_RATES,
    )
    async with detection(args.detection) as scanner:
        app_a = create_app(base, store_uri=store_uri, scanner=scanner)
        app_b = create_app(base, store_uri=store_uri, scanner=scanner)
        async with serve(app_a) as port_a, serve(app_b) as port_b:
            for app in (app_a, app_b):
                fanout = app[keys.FANOUT]
                assert isinstance(fanout, RedisFanOut)
                async with asyncio.timeout(FRAME_TIMEOUT_SECS):
                    await fanout.wait_connected()
            tokens = app_a[keys.TOKENS]

            def url(port: int, role: Role, sub: str) -> str:
                return f"ws://{HOST}:{port}/ws?token={tokens.issue(role, sub)}"

            async with aiohttp.ClientSession() as session:
                customer = await session.ws_connect(url(port_a, Role.CUSTOMER, "cust-1"))
                agent_a = await session.ws_connect(url(port_a, Role.AGENT, "agent-a"))
                agent_b = await session.ws_connect(url(port_b, Role.AGENT, "agent-b"))
                for ws in (customer, agent_a, agent_b):
                    await next_frame(ws, "hello")
                local: list[float] = []
                remote: list[float] = []
                for i in range(args.warmup + args.messages):
                    arrivals = [
                        asyncio.create_task(timed_arrival(agent_a)),
                        asyncio.create_task(timed_arrival(agent_b)),
                    ]
                    sent = time.perf_counter()
                    await customer.send_str(
                        json.dumps(
                            {
                                "type": "message.send",
                                "client_id": uuid.uuid4().hex,
                                "kind": "text",
                                "text": f"message number {i} about my order",
                            }
                        )
                    )
                    await next_frame(customer, "message.ack")
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
    print(f"local  (agent on A, in process): {ms(local)}")
    print(f"remote (agent on B, via Redis):  {ms(remote)}")
    added = statistics.median(remote) - statistics.median(local)
    print(f"added p50 (difference of medians): {added * 1000:.2f} ms")
    print(f"added p50 (median of per-message differences): {ms(differences)}")
    print(f"ledger granted(): cached {ms(cached)}; around the cache {ms(around)}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
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
