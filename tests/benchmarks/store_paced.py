"""Message inserts at a steady rate on the embedded store, timed one by one, with the
write-ahead log checkpointed by a thread of the store (the engine's default,
storage/embedded_checkpoints.py) against SQLite's own checkpoints at commit, alternating.

    .venv/bin/python -m tests.benchmarks.store_paced [--rate 40] [--secs 15] [--rounds 2] \
        [--fill 2000]

A store child (this module with `--serve thread|commit`) serves one SQLite file on
127.0.0.1 with the embedded store's engine. The messages collection gets the server's
indexes and `--fill` messages once; then each round gives each way its own copy of that
file and sends one message-shaped `insert_one` every 1/`--rate` s (one at a time, as the
server does while messages do not overlap) for `--secs` seconds, `commit` first, then
`thread`. After each insert the WAL file's header is read: its checkpoint sequence number
goes up when a writer starts the log again after a complete checkpoint, so with `commit`
the insert before that one is the one whose commit ran the checkpoint. Printed per way:
p50/p90/p99/max of all inserts, of those before a log restart and of the rest, and how
many inserts apart the restarts came.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from chat_service.storage.embedded_checkpoints import log_restarts
from tests.benchmarks.chat_throughput import percentile
from tests.benchmarks.store_insert import TEXT, StoreChild, copy_database, fill, remove_database
from tests.benchmarks.store_serve import serve_engine, serve_or_bench
from tests.helpers.messages import stored_message

MODULE = "tests.benchmarks.store_paced"
WAYS = ("commit", "thread")


async def serve(kind: str, path: str) -> None:
    """The embedded store as `chat_service.storage.embedded_server` builds it."""
    from chat_service.storage import embedded_codec
    from chat_service.storage.embedded_checkpoints import CHECKPOINT_INTERVAL_SECS
    from chat_service.storage.embedded_engine import ChatStoreEngine

    embedded_codec.install()
    every = None if kind == "commit" else CHECKPOINT_INTERVAL_SECS
    await serve_engine(ChatStoreEngine(path=path, checkpoint_every_secs=every))


class Timings:
    def __init__(self) -> None:
        self.all: list[float] = []
        self.before_restart: list[float] = []
        self.gaps: list[int] = []

    def add(self, timings: list[float], counters: list[int | None]) -> None:
        ran = [
            i
            for i in range(len(counters) - 1)
            if counters[i] is not None
            and counters[i + 1] is not None
            and counters[i + 1] != counters[i]
        ]
        self.all += timings
        self.before_restart += [timings[i] for i in ran]
        self.gaps += [b - a for a, b in itertools.pairwise(ran)]

    def rows(self, way: str) -> list[str]:
        rest = list(self.all)
        for t in self.before_restart:
            rest.remove(t)
        every = f"{statistics.median(self.gaps):.0f}" if self.gaps else "-"
        return [
            row(f"{way}: all inserts", self.all),
            row(f"{way}: before a log restart", self.before_restart),
            row(f"{way}: the others", rest) + f"; a restart every {every} inserts",
        ]


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34} n 0"
    return (
        f"{name:<34} p50/p90/p99/max {percentile(values, 50):.1f}/{percentile(values, 90):.1f}/"
        f"{percentile(values, 99):.1f}/{max(values):.1f} ms (n {len(values)})"
    )


async def paced(
    path: Path, way: str, conversation: str, first_seq: int, args: argparse.Namespace, into: Timings
) -> None:
    async with StoreChild(way, path, MODULE) as client:
        collection = client["bench"]["messages"]
        await collection.find_one({})
        timings: list[float] = []
        counters: list[int | None] = []
        seq = first_seq
        next_at = time.perf_counter()
        stop = next_at + args.secs
        while next_at < stop:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            seq += 1
            started = time.perf_counter()
            await collection.insert_one(
                stored_message(conversation, seq, sensitive=seq % 5 == 0, text=TEXT)
            )
            timings.append((time.perf_counter() - started) * 1000)
            counters.append(log_restarts(path))
            next_at += 1 / args.rate
    into.add(timings, counters)


async def bench(args: argparse.Namespace) -> int:
    conversation = "c_" + secrets.token_hex(12)
    results = {way: Timings() for way in WAYS}
    with tempfile.TemporaryDirectory(prefix="store-paced-bench-") as tmp:
        build = Path(tmp) / "build.sqlite"
        await fill(
            build,
            (
                stored_message(conversation, s, sensitive=False, text=TEXT)
                for s in range(1, args.fill + 1)
            ),
            MODULE,
        )
        for _round in range(args.rounds):
            for way in WAYS:
                path = Path(tmp) / f"{way}.sqlite"
                copy_database(build, path)
                await paced(path, way, conversation, args.fill, args, results[way])
                remove_database(path)
    for way in WAYS:
        for line in results[way].rows(way):
            print(line)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--secs", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fill", type=int, default=2000)
    parser.add_argument("--serve", choices=(*WAYS, "chat"), help=argparse.SUPPRESS)  # chat: fill
    parser.add_argument("--path", help=argparse.SUPPRESS)
    return serve_or_bench(parser.parse_args(), serve, bench)


if __name__ == "__main__":
    raise SystemExit(main())
