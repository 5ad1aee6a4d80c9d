"""One message insert over the wire as the messages collection grows: mongoeco's stock
SQLite engine beside the embedded store's engine (chat_service/storage/embedded_engine.py),
in one run.

    .venv/bin/python -m tests.benchmarks.store_insert [--sizes 1000,5000,20000] [--inserts 30]

A store child (this module with `--serve stock|chat`) serves one SQLite file on
127.0.0.1. The messages collection gets exactly the server's indexes and is filled to each
size with the embedded engine (the stock engine's wire inserts cost time quadratic in the
size); then each engine gets its own copy of that file and `--inserts` message-shaped
`insert_one` calls are timed one after another on it (the server's single-message write).
Printed: p50 and max per insert at each size, and the stock/embedded ratio of the p50s.

Everything listens on 127.0.0.1 only; the children and files are removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.messages import MessageStore
from tests.benchmarks.chat_throughput import stop_process
from tests.benchmarks.store_serve import serve_engine, serve_or_bench
from tests.helpers.messages import stored_message

REPO = Path(__file__).resolve().parents[2]
MODULE = "tests.benchmarks.store_insert"
START_TIMEOUT_SECS = 300.0  # a child opening a copy of a 20,000-message file, on a busy machine
FILL_BATCH = 500
TEXT = "When will order 7731 arrive at the shop? I have been waiting for a week now."

type Json = dict[str, Any]


async def serve(kind: str, path: str) -> None:
    from mongoeco.engines.sqlite import SQLiteEngine

    from chat_service.storage.embedded_engine import ChatStoreEngine

    await serve_engine(SQLiteEngine(path=path) if kind == "stock" else ChatStoreEngine(path=path))


class StoreChild:
    """A store child started as `python -m <module> --serve <kind> --path <path>`, and a
    client to it (also used by store_codec.py)."""

    def __init__(self, kind: str, path: Path, module: str = MODULE) -> None:
        self.kind = kind
        self.path = path
        self.module = module

    async def __aenter__(self) -> AsyncMongoClient[Json]:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            "--serve",
            self.kind,
            "--path",
            str(self.path),
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(START_TIMEOUT_SECS):
                uri = (await self.process.stdout.readline()).decode().strip()
        except BaseException:
            await stop_process(self.process)
            raise
        self.client: AsyncMongoClient[Json] = AsyncMongoClient(uri, tz_aware=True)
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        await stop_process(self.process)


async def fill(path: Path, messages: Iterable[Json], module: str = MODULE) -> None:
    """The messages collection of the SQLite file at `path`, with the indexes the server
    creates, given `messages` by the embedded engine (a child of `module`), `FILL_BATCH` an
    `insert_many` (the stock engine's wire inserts cost time quadratic in the size)."""
    async with StoreChild("chat", path, module) as client:
        collection = client["bench"]["messages"]
        await MessageStore(collection).ensure_indexes()
        for batch in itertools.batched(messages, FILL_BATCH, strict=False):
            await collection.insert_many(list(batch))


def copy_database(source: Path, target: Path) -> None:
    """The SQLite file and its journal files, if any (the child has stopped)."""
    for suffix in ("", "-wal", "-shm"):
        if (from_path := Path(str(source) + suffix)).exists():
            shutil.copyfile(from_path, Path(str(target) + suffix))


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


async def time_inserts(
    collection: AsyncCollection[Json], conversation: str, first_seq: int, inserts: int
) -> list[float]:
    timings = []
    for seq in range(first_seq, first_seq + inserts):
        started = time.perf_counter()
        await collection.insert_one(stored_message(conversation, seq, sensitive=False, text=TEXT))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def bench(args: argparse.Namespace) -> int:
    results: dict[str, dict[int, list[float]]] = {"stock": {}, "embedded": {}}
    conversation = "c_" + secrets.token_hex(12)
    with tempfile.TemporaryDirectory(prefix="store-insert-bench-") as tmp:
        build = Path(tmp) / "build.sqlite"
        seq = 0
        for size in args.sizes:
            # Filled with the embedded engine, then each engine gets its own copy of the
            # file at this size.
            more = (
                stored_message(conversation, s, sensitive=False, text=TEXT)
                for s in range(seq + 1, size + 1)
            )
            await fill(build, more)
            seq = max(seq, size)
            for name, kind in (("stock", "stock"), ("embedded", "chat")):
                copy = Path(tmp) / f"{name}-{size}.sqlite"
                await asyncio.to_thread(copy_database, build, copy)
                async with StoreChild(kind, copy) as client:
                    timings = await time_inserts(
                        client["bench"]["messages"], conversation, seq + 1, args.inserts
                    )
                await asyncio.to_thread(remove_database, copy)
                results[name][size] = timings
                print(
                    f"  {name}: {size} messages, p50 {statistics.median(timings):.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )
    print(f"{'messages':>9} {'engine':<9} {'p50 ms':>9} {'max ms':>9}")
    for size in args.sizes:
        for name in ("stock", "embedded"):
            values = results[name][size]
            print(f"{size:>9} {name:<9} {statistics.median(values):>9.1f} {max(values):>9.1f}")
        ratio = statistics.median(results["stock"][size]) / statistics.median(
            results["embedded"][size]
        )
        print(f"{'':>9} stock/embedded p50: {ratio:.1f}x")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        type=lambda raw: sorted(int(s) for s in raw.split(",") if s.strip()),
        default=[1000, 5000, 20000],
    )
    parser.add_argument("--inserts", type=int, default=30)
    parser.add_argument("--serve", choices=("stock", "chat"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return serve_or_bench(args, serve, bench)


if __name__ == "__main__":
    sys.exit(main())
