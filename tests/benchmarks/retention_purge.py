"""Benchmark: the retention purge next to a plain `delete_many`, and chat latency during it.

    .venv/bin/python -m tests.benchmarks.retention_purge [--messages 20000] \
        [--per-conversation 100] [--batch 500] [--action delete|anonymise] [--seconds 5] \
        [--customers 4] [--chat-during SECS] [--build offline|wire]

Goals (issue): purge rate (documents/s) >= 80 % of a plain `delete_many` of the same
documents in the same run; chat p99 (send -> message.ack) while a purge runs < 2x idle.
One embedded store child; two databases with the same documents (one purged by
`run_retention`, only the transaction-records rule, on conversations closed four years before
`now`; the other by `delete_many`), both with the product's indexes. The real app (no
detection) serves the first database; customers send messages closed-loop during an idle
phase and then during the purge.

Only the data set's construction differs from production traffic: stock mongoeco's wire
`insert` command stored each document with its single-document path, which decoded every
document of the collection to check `_id` uniqueness (quadratic build: 2,000 messages took
minutes; the embedded store's engine no longer does, see tests/benchmarks/store_insert.py).
`--build offline` (default) writes both databases into the store's SQLite file with mongoeco's
in-process client and the same SQLiteEngine (its batch insert path: `_id` checked by the
primary key), before the store child starts; the child then creates the product's indexes
over the wire (`Store.ensure_indexes`, as at every start-up) and everything measured runs
against it exactly as before. `--build wire` keeps the old `insert_many`-over-the-wire build.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import aiohttp
from mongoeco import AsyncMongoClient as InProcessClient
from mongoeco.engines.sqlite import SQLiteEngine
from pymongo import AsyncMongoClient

from chat_service import keys
from chat_service.app import create_app
from chat_service.auth import Role
from chat_service.privacy.retention import RetentionConfig, load_retention_config, run_retention
from chat_service.settings import Secret, Settings
from chat_service.storage.conversations import ConversationStore
from chat_service.storage.db import Store
from chat_service.storage.messages import MessageStore
from chat_service.storage.retention_runs import RetentionStore
from tests.benchmarks.chat_throughput import (
    HOST,
    NoFindings,
    percentile,
    serve,
    start_store,
    stop_process,
)
from tests.helpers.settings import settings_with

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2030, 6, 1, tzinfo=UTC)
INSERT_BATCH = 1000
GOAL_RATE_RATIO = 0.80
GOAL_P99_RATIO = 2.0
Doc = dict[str, Any]


def dataset(messages: int, per_conversation: int) -> tuple[list[Doc], list[Doc]]:
    closed = NOW - timedelta(days=4 * 365)
    conversations: list[Doc] = []
    docs: list[Doc] = []
    for c in range((messages + per_conversation - 1) // per_conversation):
        conversation_id = f"c_bench_{c:05d}"
        customer_id = f"cust-bench-{c}"
        conversations.append(
            {
                "_id": conversation_id,
                "customer_id": customer_id,
                "status": "closed",
                "agent_id": "agent-1",
                "created_at": closed - timedelta(hours=1),
                "closed_at": closed,
            }
        )
        docs.extend(
            {
                "_id": f"m_bench_{c:05d}_{seq:04d}",
                "conversation_id": conversation_id,
                "customer_id": customer_id,
                "seq": seq,
                "conv_seq": f"{conversation_id}:{seq:012d}",
                "client_id": uuid.uuid4().hex,
                "sender": {"role": "customer" if seq % 2 else "agent", "id": customer_id},
                "kind": "text",
                "text": "Where is my order? It was due last week.",
                "findings": [],
                "secrets": [],
                "consent": None,
                "created_at": closed - timedelta(minutes=30),
                "secrets_version": 0,
            }
            for seq in range(1, min(per_conversation, messages - len(docs)) + 1)
        )
    return conversations, docs


async def build_wire(
    client: AsyncMongoClient[Doc], database: str, data: tuple[list[Doc], list[Doc]]
) -> float:
    """insert_many over the wire into the running store child."""
    conversations, docs = data
    db = client[database]
    started = time.perf_counter()
    await db["conversations"].insert_many(conversations)
    for i in range(0, len(docs), INSERT_BATCH):
        await db["messages"].insert_many(docs[i : i + INSERT_BATCH])
    return time.perf_counter() - started


async def build_offline(path: Path, database: str, data: tuple[list[Doc], list[Doc]]) -> float:
    """The same documents written into the store's SQLite file by mongoeco in-process (same
    SQLiteEngine, batch insert path), while no store child has the file open. The product's
    indexes are created first, by the product's own code, as in production."""
    conversations, docs = data
    started = time.perf_counter()
    async with InProcessClient(SQLiteEngine(path=str(path))) as client:
        db = client[database]
        # The owners of these two collections create their indexes (mongoeco's client has
        # pymongo's API; the owners are typed for pymongo's). Store.ensure_indexes over the
        # wire later finds them in place and adds the other (empty) collections' indexes.
        pymongo_db = cast(Any, db)
        await ConversationStore(pymongo_db["conversations"]).ensure_indexes()
        await MessageStore(pymongo_db["messages"]).ensure_indexes()
        await RetentionStore(pymongo_db).ensure_indexes()
        await db["conversations"].insert_many(conversations)
        for i in range(0, len(docs), INSERT_BATCH):
            await db["messages"].insert_many(docs[i : i + INSERT_BATCH])
    return time.perf_counter() - started


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Latencies:
    values: list[float] = field(default_factory=list)
    errors: int = 0

    def p(self, q: float) -> float:
        # chat_throughput.percentile takes percent (0-100), not a fraction.
        return percentile(self.values, q * 100) * 1000 if self.values else float("nan")


async def chatter(url: str, until: asyncio.Event, out: Latencies) -> None:
    """One customer: send, wait for the ack, send again (closed loop)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_json()  # hello
        while not until.is_set():
            client_id = uuid.uuid4().hex
            started = time.perf_counter()
            await ws.send_json(
                {"type": "message.send", "client_id": client_id, "kind": "text", "text": "hi"}
            )
            while True:
                frame = await ws.receive_json(timeout=30)
                if frame.get("type") == "message.ack" and frame.get("client_id") == client_id:
                    out.values.append(time.perf_counter() - started)
                    break
                if frame.get("type") == "error":
                    out.errors += 1
                    break
            await asyncio.sleep(0.01)


async def phase(
    urls: list[str], during: asyncio.Task[Any] | float, limit: float | None = None
) -> Latencies:
    """Chat for `during` seconds, or while the task runs (at most `limit` seconds of it)."""
    out, stop = Latencies(), asyncio.Event()
    tasks = [asyncio.create_task(chatter(url, stop, out)) for url in urls]
    if isinstance(during, float):
        await asyncio.sleep(during)
    else:
        await asyncio.wait({during}, timeout=limit)
    stop.set()
    await asyncio.gather(*tasks)
    return out


async def same_copies(
    client: AsyncMongoClient[Doc], purge_db: str, plain_db: str, messages: int
) -> None:
    """Both copies hold the same number of documents and the same indexes."""
    for name in ("conversations", "messages"):
        shapes = []
        for database in (purge_db, plain_db):
            coll = client[database][name]
            count = await coll.count_documents({})
            indexes = sorted([(i["name"], str(i["key"])) async for i in await coll.list_indexes()])
            shapes.append((count, indexes))
        if shapes[0] != shapes[1]:
            raise RuntimeError(f"the two copies of {name} differ: {shapes}")
        if name == "messages" and shapes[0][0] != messages:
            raise RuntimeError(f"{shapes[0][0]} messages stored, {messages} expected")
        names = [n for n, _ in shapes[0][1]]
        print(f"{name}: {shapes[0][0]} documents in each copy, indexes {names}")


def only_purge_rule(config: RetentionConfig, args: argparse.Namespace) -> RetentionConfig:
    rule = config.rules["transaction_records"].model_copy(update={"action": args.action})
    return config.model_copy(
        update={"rules": {"transaction_records": rule}, "batch_size": args.batch}
    )


async def bench(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="retention_bench_"))
    path = tmp / "store.sqlite"
    purge_db, plain_db = "bench_purge_" + secrets.token_hex(3), "bench_plain"
    # One list of documents for both copies: the two purge targets are identical.
    data = dataset(args.messages, args.per_conversation)
    print(f"start: {load()}", flush=True)
    if args.build == "offline":
        for database in (purge_db, plain_db):
            built = await build_offline(path, database, data)
            print(f"built {args.messages} messages in {database} offline in {built:.1f} s")
    process, uri = await start_store(path)
    client: AsyncMongoClient[Doc] = await asyncio.to_thread(AsyncMongoClient, uri, tz_aware=True)
    try:
        if args.build == "wire":
            for database in (purge_db, plain_db):
                built = await build_wire(client, database, data)
                print(f"built {args.messages} messages in {database} by wire in {built:.1f} s")
        started = time.perf_counter()
        for database in (purge_db, plain_db):
            await Store(client, database, "embedded").ensure_indexes()
        print(f"product indexes on both copies in {time.perf_counter() - started:.1f} s")
        await same_copies(client, purge_db, plain_db, args.messages)
        print(f"measuring: {load()}", flush=True)
        secret = secrets.token_urlsafe(48)
        base = Settings.load(REPO / "config", tmp, {"CHAT_SERVICE_SECRET": secret})
        settings = settings_with(
            base.with_overrides(secret=Secret(secret)),
            store={"database": purge_db},
            # Load, not abuse: each chatter sends as fast as it is answered.
            limits={"messages_per_sec": 1_000_000.0, "message_burst": 1_000_000},
        )
        config = only_purge_rule(
            await asyncio.to_thread(load_retention_config, REPO / "config"), args
        )
        app = create_app(settings, store_uri=uri, scanner=NoFindings(), host=HOST)
        async with serve(app) as port:
            services = app[keys.SERVICES]
            tokens = app[keys.TOKENS]
            urls = [
                f"ws://{HOST}:{port}/ws?token=" + tokens.issue(Role.CUSTOMER, f"live-{i}")
                for i in range(args.customers)
            ]
            idle = await phase(urls, float(args.seconds))
            started = time.perf_counter()
            purge = asyncio.create_task(
                run_retention(services, config, now=NOW, dry_run=False, holder="bench")
            )
            busy = await phase(urls, purge, args.chat_during or None)
            await purge
            purge_secs = time.perf_counter() - started
            summary = purge.result()
        if summary.status != "succeeded":  # e.g. lease_held: the app's own run came first
            raise RuntimeError(f"the purge did not run through: {summary.to_json()}")
        removed = summary.rules["transaction_records"]
        purged_docs = (removed.messages or 0) + removed.count
        db = client[plain_db]
        ids = [f"c_bench_{c:05d}" for c in range(removed.count)]
        started = time.perf_counter()
        plain_messages = await db["messages"].delete_many({"conversation_id": {"$in": ids}})
        plain_conversations = await db["conversations"].delete_many({"_id": {"$in": ids}})
        plain_secs = time.perf_counter() - started
        plain_docs = plain_messages.deleted_count + plain_conversations.deleted_count
        rate, plain_rate = purged_docs / purge_secs, plain_docs / plain_secs
        ratio = rate / plain_rate
        p99_ratio = busy.p(0.99) / idle.p(0.99)
        print(
            f"purge ({args.action}, batch {args.batch}): {purged_docs} docs in "
            f"{purge_secs:.2f} s = {rate:.0f} docs/s; status {summary.status}, "
            f"{summary.batches} batches, {summary.error_count} errors"
        )
        print(
            f"plain delete_many: {plain_docs} docs in {plain_secs:.2f} s = {plain_rate:.0f} docs/s"
        )
        verdict = "met" if ratio >= GOAL_RATE_RATIO else "NOT MET"
        print(f"purge / delete_many = {ratio:.0%} (goal >= {GOAL_RATE_RATIO:.0%}: {verdict})")
        during = f"first {args.chat_during:g} s of purge" if args.chat_during else "during purge"
        for name, lat in (("idle", idle), (during, busy)):
            print(
                f"chat {name}: {len(lat.values)} acks, p50 {lat.p(0.5):.1f} ms, "
                f"p99 {lat.p(0.99):.1f} ms, errors {lat.errors}"
            )
        verdict = "met" if p99_ratio < GOAL_P99_RATIO else "NOT MET"
        print(f"p99 during / idle = {p99_ratio:.2f}x (goal < {GOAL_P99_RATIO:.0f}x: {verdict})")
        print(f"end: {load()}")
        return 0
    finally:
        await client.close()
        await stop_process(process)
        shutil.rmtree(tmp, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--per-conversation", type=int, default=100)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--action", choices=["delete", "anonymise"], default="delete")
    parser.add_argument("--customers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--chat-during",
        type=float,
        default=0.0,
        help="chat only during the purge's first SECS (0: the whole purge)",
    )
    parser.add_argument("--build", choices=["offline", "wire"], default="offline")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(bench(parse_args(argv)))
    return 130


if __name__ == "__main__":
    sys.exit(main())
