"""chat_throughput.py's store ceiling alone, in about 15 s: concurrent `insert_one` writers
(closed loop, one insert in flight each) into the messages collection of a database with
every index the server creates, on a fresh embedded store child; the child's CPU per insert.

    .venv/bin/python -m tests.benchmarks.store_ceiling [--seconds 8] [--writers 20] \
        [--runs 1]

The documents are chat_throughput.py's (the server's `message_document`, its texts with no
findings). Printed per run: inserts/s, the store child's CPU ms per insert (user + system,
from /proc) and its share of a core, and the load average. CPU per insert is the figure to
compare on a shared machine; run two checkouts alternately (a file copied into an older
checkout runs there as well). Everything listens on 127.0.0.1; the child and its
temporary directory are removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from chat_service.storage.conversations import Conversation
from tests.benchmarks.chat_throughput import (
    NoFindings,
    message_doc,
    prepare_texts,
    start_store,
    stop_process,
    with_service_indexes,
)

WARM_UP_SECS = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_secs(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def one_run(seconds: float, writers: int) -> str:
    prepared = await prepare_texts(NoFindings())
    with tempfile.TemporaryDirectory(prefix="store-ceiling-") as tmp:
        process, uri = await start_store(Path(tmp) / "store.sqlite")
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
        try:
            collection = await with_service_indexes(client, "bench_" + secrets.token_hex(3))
            now = datetime.now(UTC)
            conversations = [
                Conversation("c_" + secrets.token_hex(12), f"cust-{i}", "open", None, now, None)
                for i in range(writers)
            ]
            seqs = [itertools.count(1) for _ in conversations]
            numbers = itertools.count()
            done = [0]

            async def write(w: int, end: float) -> None:
                while time.monotonic() < end:
                    doc = message_doc(conversations[w], prepared, next(seqs[w]), next(numbers))
                    await collection.insert_one(doc)
                    done[0] += 1

            warm_end = time.monotonic() + WARM_UP_SECS
            await asyncio.gather(*(write(w, warm_end) for w in range(writers)))
            done[0] = 0
            cpu_before, started = cpu_secs(process.pid), time.monotonic()
            await asyncio.gather(*(write(w, started + seconds) for w in range(writers)))
            wall, cpu = time.monotonic() - started, cpu_secs(process.pid) - cpu_before
            return (
                f"{done[0] / wall:7.1f} inserts/s  store CPU {cpu * 1000 / done[0]:5.2f} ms "
                f"per insert, {100 * cpu / wall:3.0f} % of a core  "
                f"(load average {os.getloadavg()[0]:.1f})"
            )
        finally:
            await client.close()
            await stop_process(process)


async def bench(args: argparse.Namespace) -> int:
    for _ in range(args.runs):
        print(await one_run(args.seconds, args.writers), flush=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.store_ceiling")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    raise SystemExit(asyncio.run(bench(parser.parse_args())))


if __name__ == "__main__":
    main()
