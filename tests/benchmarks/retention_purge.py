"""Benchmark: the retention purge next to a plain `delete_many`, and chat latency during it.

    .venv/bin/python -m tests.benchmarks.retention_purge [--messages 20000] \
        [--per-conversation 100] [--batch 500] [--action delete|anonymise] [--seconds 5]

Goals (issue): purge rate (documents/s) >= 80 % of a plain `delete_many` of the same
documents in the same run; chat p99 (send -> message.ack) while a purge runs < 2x idle.
One embedded store child; two databases built identically with `insert_many` in batches of
1,000 (their build times are printed): one purged by `run_retention` (only the
transaction-records rule, on conversations closed four years before `now`), the other by
`delete_many`. The real app (no detection) serves the first database; customers send
messages closed-loop during an idle phase and then during the purge.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import AsyncMongoClient

from chat_service import keys
from chat_service.app import create_app
from chat_service.auth import Role
from chat_service.privacy.retention import RetentionConfig, load_retention_config, run_retention
from chat_service.settings import Secret, Settings
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


async def build(client: AsyncMongoClient[Doc], database: str, args: argparse.Namespace) -> float:
    conversations, docs = dataset(args.messages, args.per_conversation)
    db = client[database]
    started = time.perf_counter()
    await db["conversations"].insert_many(conversations)
    for i in range(0, len(docs), INSERT_BATCH):
        await db["messages"].insert_many(docs[i : i + INSERT_BATCH])
    return time.perf_counter() - started


@dataclass
class Latencies:
    values: list[float] = field(default_factory=list)
    errors: int = 0

    def p(self, q: float) -> float:
        return percentile(self.values, q) * 1000 if self.values else float("nan")


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


async def phase(urls: list[str], during: asyncio.Task[Any] | float) -> Latencies:
    out, stop = Latencies(), asyncio.Event()
    tasks = [asyncio.create_task(chatter(url, stop, out)) for url in urls]
    if isinstance(during, float):
        await asyncio.sleep(during)
    else:
        await during
    stop.set()
    await asyncio.gather(*tasks)
    return out


def only_purge_rule(config: RetentionConfig, args: argparse.Namespace) -> RetentionConfig:
    rule = config.rules["transaction_records"].model_copy(update={"action": args.action})
    return config.model_copy(
        update={"rules": {"transaction_records": rule}, "batch_size": args.batch}
    )


async def bench(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="retention_bench_"))
    process, uri = await start_store(tmp / "store.sqlite")
    client: AsyncMongoClient[Doc] = await asyncio.to_thread(AsyncMongoClient, uri, tz_aware=True)
    try:
        purge_db, plain_db = "bench_purge_" + secrets.token_hex(3), "bench_plain"
        built = await build(client, purge_db, args)
        print(f"built {args.messages} messages with insert_many in {built:.1f} s", flush=True)
        secret = secrets.token_urlsafe(48)
        base = Settings.load(REPO / "config", tmp, {"CHAT_SERVICE_SECRET": secret})
        settings = settings_with(
            base.with_overrides(secret=Secret(secret)), store={"database": purge_db}
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
            busy = await phase(urls, purge)
            purge_secs = time.perf_counter() - started
            summary = purge.result()
        removed = summary.rules["transaction_records"]
        purged_docs = (removed.messages or 0) + removed.count
        built_plain = await build(client, plain_db, args)
        print(f"built the same set again in {built_plain:.1f} s", flush=True)
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
        for name, lat in (("idle", idle), ("during purge", busy)):
            print(
                f"chat {name}: {len(lat.values)} acks, p50 {lat.p(0.5):.1f} ms, "
                f"p99 {lat.p(0.99):.1f} ms, errors {lat.errors}"
            )
        verdict = "met" if p99_ratio < GOAL_P99_RATIO else "NOT MET"
        print(f"p99 during / idle = {p99_ratio:.2f}x (goal < {GOAL_P99_RATIO:.0f}x: {verdict})")
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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(bench(parse_args(argv)))
    return 130


if __name__ == "__main__":
    sys.exit(main())
