"""The fan-out subscriber's read of one event off the channel, redis-py's pure-Python reply
parser against hiredis's, in one run (issue 19: every instance reads every event).

    .venv/bin/python -m tests.benchmarks.redis_reads [--events 5000] [--bytes 1317] [--rounds 4]

A real Debian `redis-server` on loopback (tests/helpers/redis.py). Each round, for each
parser in turn (alternated, so the shared machine's load falls on both): a subscriber
connected the way `fanout_redis.py` connects (`Redis.from_url`, `pubsub()`), `--events`
events of `--bytes` each (1,317: a message crossing as its stored BSON) published in
pipelines by another client, then read by the subscriber's loop (`get_message`, as
`RedisFanOut._subscribe_loop`), timed in this process's CPU time: the cost a read, the
parse of the reply included. Needs `hiredis` importable (requirements.lock).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser
from redis.asyncio import Redis
from redis.utils import HIREDIS_AVAILABLE

from tests.helpers.redis import running_redis

CHANNEL = "bench:events"
PIPELINE = 256  # the publisher's batch (fanout_redis.PUBLISH_BATCH_MAX)


async def one_read_cost(url: str, parser: type, events: int, size: int) -> float:
    """CPU seconds a read of one event, with `parser`."""
    subscriber = Redis.from_url(url, parser_class=parser)
    publisher = Redis.from_url(url)
    body = b'{"from":"i_bench","audience":{},"kind":"message"}\n' + os.urandom(size)
    pubsub = subscriber.pubsub()
    try:
        await pubsub.subscribe(CHANNEL)
        while (await pubsub.get_message(timeout=1.0) or {}).get("type") != "subscribe":
            pass
        for start in range(0, events, PIPELINE):
            async with publisher.pipeline(transaction=False) as pipe:
                for _ in range(min(PIPELINE, events - start)):
                    pipe.publish(CHANNEL, body)
                await pipe.execute()
        got = 0
        cpu = time.process_time()
        while got < events:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None and message["type"] == "message":
                got += 1
        return (time.process_time() - cpu) / events
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py
        await subscriber.aclose()
        await publisher.aclose()


async def bench(args: argparse.Namespace) -> None:
    if not HIREDIS_AVAILABLE:
        raise SystemExit("hiredis is not importable: install requirements.lock")
    parsers: dict[str, type] = {"pure Python": _AsyncRESP2Parser, "hiredis": _AsyncHiredisParser}
    costs: dict[str, list[float]] = {name: [] for name in parsers}
    async for server in running_redis():
        for _ in range(args.rounds):
            for name, parser in parsers.items():
                costs[name].append(await one_read_cost(server.url, parser, args.events, args.bytes))
    print(
        f"one read of a {args.bytes}-byte event off the channel (get_message), CPU time, "
        f"{args.events} events a round, {args.rounds} rounds alternated; load {os.getloadavg()}"
    )
    for name, values in costs.items():
        rounds = " ".join(f"{1e6 * v:.1f}" for v in values)
        print(f"  {name:<12} median {1e6 * statistics.median(values):6.1f} us  ({rounds})")
    ratio = statistics.median(costs["hiredis"]) / statistics.median(costs["pure Python"])
    print(f"  hiredis / pure Python: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--bytes", type=int, default=1317)
    parser.add_argument("--rounds", type=int, default=4)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
