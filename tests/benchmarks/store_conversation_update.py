"""The store's CPU for one `$max` update of a conversation (the inbox's staff mark,
docs/inbox.md) beside a message insert: the embedded store's engine
(chat_service/storage/embedded_engine.py) without and with its item 9 (an update's
document read by its `_id`'s storage key), in one run.

    .venv/bin/python -m tests.benchmarks.store_conversation_update [--conversations 2000]
        [--writes 300]

For each engine a store child (this module with `--serve before|after`) serves a fresh
SQLite file with the server's indexes on `conversations` and `messages`, `--conversations`
open conversations and five messages each. Then, one after another, `--writes` rounds of:
a message insert, then `update_one({"_id": id, "last_staff_seq": {"$exists": true}},
{"$max": ...})` of its conversation (as ConversationStore.note_staff_message). The
child's CPU time (user + system, from /proc) over the inserts alone and over the updates
alone is printed per write, and each command's p50 as the client saw it.

Everything listens on 127.0.0.1 only; the children and files are removed on exit.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chat_service.storage.conversations import ConversationStore
from chat_service.storage.messages import MessageStore
from tests.benchmarks.store_insert import FILL_BATCH, StoreChild
from tests.benchmarks.store_serve import serve_engine, serve_or_bench
from tests.helpers.messages import stored_message

MESSAGES_PER_CONVERSATION = 5
MODULE = "tests.benchmarks.store_conversation_update"

type Json = dict[str, Any]


def _cpu_secs(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def serve(kind: str, path: str) -> None:
    from mongoeco.engines.sqlite import SQLiteEngine

    from chat_service.storage.embedded_engine import ChatStoreEngine

    class WithoutKeyWrites(ChatStoreEngine):
        """The engine as it was before item 9: mongoeco's own first-document read."""

        def _select_first_document_for_plan(
            self, db_name: str, coll_name: str, plan: Any, **kwargs: Any
        ) -> tuple[str, Any] | None:
            return SQLiteEngine._select_first_document_for_plan(
                self, db_name, coll_name, plan, **kwargs
            )

    engine = WithoutKeyWrites(path=path) if kind == "before" else ChatStoreEngine(path=path)
    await serve_engine(engine)


async def run(kind: str, path: Path, conversations: int, writes: int) -> dict[str, float]:
    child = StoreChild(kind, path, MODULE)
    async with child as client:
        db = client["bench"]
        await MessageStore(db["messages"]).ensure_indexes()
        await ConversationStore(db["conversations"]).ensure_indexes()
        now = datetime.now(UTC)
        ids = [f"c_bench{i:06d}" for i in range(conversations)]
        docs: list[Json] = [
            {"_id": c, "customer_id": f"cust-{i}", "open_key": f"cust-{i}", "status": "open",
             "agent_id": None, "created_at": now, "closed_at": None, "last_staff_seq": 0}
            for i, c in enumerate(ids)
        ]  # fmt: skip
        for batch in itertools.batched(docs, FILL_BATCH, strict=False):
            await db["conversations"].insert_many(list(batch))
        messages = (
            stored_message(c, s, sensitive=False)
            for c in ids
            for s in range(1, MESSAGES_PER_CONVERSATION + 1)
        )
        for batch in itertools.batched(messages, FILL_BATCH, strict=False):
            await db["messages"].insert_many(list(batch))
        pid = child.process.pid
        insert_cpu = update_cpu = 0.0
        insert_ms: list[float] = []
        update_ms: list[float] = []
        for n in range(writes):
            conversation = ids[n % conversations]
            seq = MESSAGES_PER_CONVERSATION + 1 + n // conversations
            before = _cpu_secs(pid)
            started = time.perf_counter()
            await db["messages"].insert_one(stored_message(conversation, seq, sensitive=False))
            inserted = time.perf_counter()
            middle = _cpu_secs(pid)
            await db["conversations"].update_one(
                {"_id": conversation, "last_staff_seq": {"$exists": True}},
                {"$max": {"last_staff_seq": seq}},
            )
            updated = time.perf_counter()
            insert_cpu += middle - before
            update_cpu += _cpu_secs(pid) - middle
            insert_ms.append((inserted - started) * 1000)
            update_ms.append((updated - inserted) * 1000)
    return {
        "insert cpu": insert_cpu * 1000 / writes,
        "update cpu": update_cpu * 1000 / writes,
        "insert p50": statistics.median(insert_ms),
        "update p50": statistics.median(update_ms),
    }


async def bench(args: argparse.Namespace) -> int:
    print(f"load average before: {os.getloadavg()}", file=sys.stderr, flush=True)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="store-conv-update-") as tmp:
        for name in ("before", "after"):
            path = Path(tmp) / f"{name}.sqlite"
            results[name] = await run(name, path, args.conversations, args.writes)
            print(f"  {name}: {results[name]}", file=sys.stderr, flush=True)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr, flush=True)
    print(
        f"{args.conversations} conversations, {args.writes} writes; store CPU ms per command, "
        "client p50 ms"
    )
    print(
        f"{'engine':<9} {'insert cpu':>11} {'update cpu':>11} {'insert p50':>11} {'update p50':>11}"
    )
    for name, r in results.items():
        print(
            f"{name:<9} {r['insert cpu']:>11.1f} {r['update cpu']:>11.1f} "
            f"{r['insert p50']:>11.1f} {r['update p50']:>11.1f}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--serve", choices=("before", "after"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return serve_or_bench(args, serve, bench)


if __name__ == "__main__":
    sys.exit(main())
