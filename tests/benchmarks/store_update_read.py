"""A read after an update, on a filled messages collection: the embedded engine that
forgets what it knows of the collection's fields on every update (as before) beside the
one that keeps it (chat_service/storage/embedded_engine.py, "Kept across writes").

    .venv/bin/python -m tests.benchmarks.store_update_read [--messages 20000] \
        [--updates 20] [--rounds 2]

A store child fills one SQLite file (the messages indexes the server creates) with
`--messages` messages over 50 conversations. Then, per round and engine (alternating which
goes first), a child serves its own copy of that file, and `--updates` times: one message
is updated as a consent decision updates it (`$set` of fields no read keeps anything
about), then the search's query (a common term, newest first, a page of 20), an agent's
read of five conversations newest first, and `MessageStore.many`'s read of 20 messages by
`_id` (the consent path's) are timed. A third engine, `by_scan`, is the keeping one with
the key reads of embedded_engine.py item 8 turned off (documents named by `_id` read in
SQL over the collection, as before). Printed: p50 and max per read and engine. Everything
listens on 127.0.0.1; children and files are removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mongoeco.engines.sqlite import SQLiteEngine

from chat_service.storage.embedded_engine import ChatStoreEngine

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

# The children import only the engine (this module's top) and store_serve.py; the filling
# and timing side imports the helpers (store_insert.py's builder, the server's message
# builder) in the functions below.

MODULE = "tests.benchmarks.store_update_read"
CONVERSATIONS = 50
TEXTS = [
    "My parcel for order 20231104-7781 was due last week and is still late.",
    "Could you check the refund for my last order please?",
    "The courier left the parcel at the wrong address again.",
    "Thanks, that solved it. Have a nice day!",
]
NEWEST = [("created_at", -1), ("_id", 1)]
ENGINES = ("forgetful", "chat", "by_scan")
LABELS = {"search": "search (term)", "agent": "agent ($in)", "many": "many ($in _id)"}

type Json = dict[str, Any]


class ForgetfulEngine(ChatStoreEngine):
    """The engine as before: every update or delete forgets the collection's answers."""

    def _changing_with(self, db_name: str, coll_name: str, change: Any, write: Any) -> Any:
        return super()._changing_with(db_name, coll_name, None, write)


class ByScanEngine(ChatStoreEngine):
    """The engine before its key reads (item 8): `_id` lookups go mongoeco's SQL way."""

    def _open_scan_documents_sync(self, reader: Any) -> Any:
        return SQLiteEngine._open_scan_documents_sync(self, reader)


async def serve(kind: str, path: str) -> None:
    from tests.benchmarks.store_serve import serve_engine

    engines = {"forgetful": ForgetfulEngine, "by_scan": ByScanEngine}
    await serve_engine(engines.get(kind, ChatStoreEngine)(path=path))


async def fill(path: Path, messages: int) -> list[str]:
    from tests.benchmarks import store_insert
    from tests.helpers.messages import stored_message

    conversations = ["c_" + secrets.token_hex(12) for _ in range(CONVERSATIONS)]
    await store_insert.fill(
        path,
        (
            stored_message(
                conversations[n % CONVERSATIONS],
                n // CONVERSATIONS + 1,
                sensitive=False,
                text=TEXTS[n % len(TEXTS)],
            )
            for n in range(messages)
        ),
        MODULE,
    )
    return conversations


async def time_reads(
    collection: AsyncCollection[Json], conversations: list[str], updates: int
) -> dict[str, list[float]]:
    from chat_service.storage.messages import MessageStore

    timings: dict[str, list[float]] = {name: [] for name in LABELS}
    queries = {
        "search": {"search_terms": {"$all": ["parcel"]}},
        "agent": {"conversation_id": {"$in": conversations[:5]}},
    }
    # Messages of 20 conversations, each its conversation's 10th to 29th.
    named = [f"m-{conversations[(n * 7) % CONVERSATIONS]}-{n + 10}" for n in range(20)]

    async def read(name: str) -> list[Any]:
        if name == "many":
            return await MessageStore(collection).many(named)
        return await collection.find(queries[name], {"_id": 1}).sort(NEWEST).limit(20).to_list()

    for name in LABELS:  # what is kept is found once, before the updates
        await read(name)
    for n in range(updates):
        conversation = conversations[n % len(conversations)]
        await collection.update_one(
            {"_id": f"m-{conversation}-{n + 1}"},
            {"$set": {"consent": "granted", "decided": n}},
        )
        for name in LABELS:
            started = time.perf_counter()
            page = await read(name)
            timings[name].append((time.perf_counter() - started) * 1000)
            assert len(page) == 20
    return timings


async def bench(args: argparse.Namespace) -> int:
    from tests.benchmarks.store_insert import StoreChild, copy_database, remove_database

    results = {engine: {name: list[float]() for name in LABELS} for engine in ENGINES}
    with tempfile.TemporaryDirectory(prefix="store-update-read-") as tmp:
        build = Path(tmp) / "build.sqlite"
        started = time.monotonic()
        conversations = await fill(build, args.messages)
        print(f"filled {args.messages} messages in {time.monotonic() - started:.0f} s")
        for round_ in range(args.rounds):
            order = ENGINES if round_ % 2 == 0 else ENGINES[::-1]
            for engine in order:
                copy = Path(tmp) / f"{engine}.sqlite"
                copy_database(build, copy)
                async with StoreChild(engine, copy, MODULE) as client:
                    timings = await time_reads(
                        client["bench"]["messages"], conversations, args.updates
                    )
                remove_database(copy)
                for name, values in timings.items():
                    results[engine][name].extend(values)
    print(f"{'engine':<11}{'read after an update':<22}{'p50 ms':>9}{'max ms':>9}")
    for engine in ENGINES:
        for name, values in results[engine].items():
            label = LABELS[name]
            print(f"{engine:<11}{label:<22}{statistics.median(values):>9.1f}{max(values):>9.1f}")
    return 0


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":  # --serve KIND --path PATH
        asyncio.run(serve(sys.argv[2], sys.argv[4]))
        return
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    raise SystemExit(asyncio.run(bench(parser.parse_args())))


if __name__ == "__main__":
    main()
