"""Full-text search over stored messages on the embedded store (docs/search.md).

    .venv/bin/python -m tests.benchmarks.search [--messages 10000,100000] [--queries 200] \
        [--keep PATH] [--search-only]

A store child (the embedded store's engine, `store_insert.py`'s StoreChild) serves one
SQLite file on 127.0.0.1; its messages collection gets exactly the server's indexes
(`MessageStore.ensure_indexes`, the `search_terms` index included) and is filled with
messages shaped as the server stores them (`message_document`: masked text and
`search_terms` computed from it), half English and half Chinese, 20 per conversation,
newest last. The fill sends them prepared, 500 to an `insert_many`, through the store's
wire, up to each size of `--messages` in turn, and measures at each size. With `--keep
PATH` the file is kept and a later run tops it up instead of refilling.

Printed, at each size:
- search: p50 / p95 / max of `MessageSearch.find` (the server's query, first page of 20)
  for `--queries` queries of one or two words, English and Chinese, common and rare, as a
  supervisor (every conversation) and as an agent (50 conversations);
then, at the last size:
- insert: p50 of `insert_one` of a message (with its `search_terms`) with the
  `search_terms` index, and after dropping that index (ratio): the cost the index adds to
  a message's insert (a kept file gets the index back on its next run);
- index: entries and bytes of the `search_terms` index (mongoeco keeps a multikey index in
  one SQLite table; read from the file) and the file's size.
`--search-only` skips the inserts (and so the index's drop): a kept file can then be
searched again at once, after a change to the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from chat_service.actions.messages import message_document
from chat_service.auth import Identity, Role
from chat_service.storage.conversations import Conversation
from chat_service.storage.messages import MessageStore, conv_seq
from chat_service.storage.search import MessageSearch
from tests.benchmarks import store_insert
from tests.benchmarks.store_insert import StoreChild

type Json = dict[str, Any]

# A filled file takes the store child longer to open than store_insert.py's own files.
store_insert.START_TIMEOUT_SECS = 600.0

PER_CONVERSATION = 20
FILL_BATCH = 500
PAGE = 20
AGENT_CONVERSATIONS = 50
INSERTS = 100
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
EN_WORDS = [
    "order",
    "refund",
    "parcel",
    "delivery",
    "late",
    "shop",
    "charged",
    "twice",
    "week",
    "arrive",
    "please",
    "help",
    "thanks",
    "address",
    "change",
    "cancel",
    "return",
    "size",
    "colour",
    "shoes",
    "jacket",
    "phone",
    "battery",
    "broken",
    "screen",
    "warranty",
    "invoice",
    "payment",
    "coupon",
    "discount",
    "tracking",
    "courier",
    "exchange",
    "damaged",
    "missing",
    "receipt",
    "voucher",
    "account",
    "password",
    "login",
    "email",
    "newsletter",
    "wrong",
    "colour",
    "small",
    "large",
]
ZH_WORDS = [
    "退款",
    "订单",
    "快递",
    "发货",
    "地址",
    "修改",
    "取消",
    "退货",
    "尺码",
    "颜色",
    "鞋子",
    "外套",
    "手机",
    "电池",
    "屏幕",
    "保修",
    "发票",
    "付款",
    "优惠券",
    "折扣",
    "物流",
    "包裹",
    "损坏",
    "丢失",
    "收据",
    "账户",
    "密码",
    "登录",
    "邮件",
    "换货",
    "客服",
    "商品",
    "质量",
    "价格",
]
RARE_EN = "zeppelin"
RARE_ZH = "麒麟"


def text_for(rnd: random.Random, i: int) -> str:
    if i % 2:
        words = rnd.sample(EN_WORDS, 10)
        if i % 997 == 0:
            words.append(RARE_EN)
        return "Hello, my " + " ".join(words) + " [CREDIT_CARD]."
    words = rnd.sample(ZH_WORDS, 8)
    if i % 997 == 0:
        words.append(RARE_ZH)
    return "您好\uff0c" + "".join(words) + "\u3002"


def message(i: int, text: str, *, terms: bool = True) -> Json:
    conversation_id = f"c{i // PER_CONVERSATION:06d}"
    seq = i % PER_CONVERSATION + 1
    conversation = Conversation(conversation_id, f"cust-{i // 100}", "open", "agent-1", EPOCH, None)
    doc = message_document(
        message_id=f"m{i:08d}",
        conversation=conversation,
        seq=seq,
        client_id=f"c-{i}",
        sender=Identity(Role.CUSTOMER, conversation.customer_id),
        kind="text",
        text=text,
        findings=[],
        secrets=[],
        consent=None,
        created_at=EPOCH + timedelta(seconds=i),
    )
    if not terms:
        doc.pop("search_terms")
    return doc | {"conv_seq": conv_seq(conversation_id, seq), "secrets_version": 0}


async def fill(collection: AsyncCollection[Json], target: int) -> int:
    await MessageStore(collection).ensure_indexes()
    have = await collection.estimated_document_count()  # count_documents: over budget
    rnd = random.Random(have)
    started = time.perf_counter()
    for first in range(have, target, FILL_BATCH):
        batch = [
            message(i, text_for(rnd, i)) for i in range(first, min(target, first + FILL_BATCH))
        ]
        await collection.insert_many(batch)
        done = first + len(batch)
        if done % 5000 == 0 or done == target:
            rate = (done - have) / (time.perf_counter() - started)
            print(f"  filled {done} ({rate:.0f}/s)", file=sys.stderr, flush=True)
    return max(have, target)


def queries(rnd: random.Random, n: int) -> list[list[str]]:
    out: list[list[str]] = []
    for k in range(n):
        match k % 6:
            case 0:
                out.append([rnd.choice(EN_WORDS)])
            case 1:
                out.append(rnd.sample(EN_WORDS, 2))
            case 2:
                out.append([rnd.choice(ZH_WORDS)])
            case 3:
                out.append(rnd.sample(ZH_WORDS, 2))
            case 4:
                out.append([RARE_EN])
            case _:
                out.append([RARE_ZH, rnd.choice(ZH_WORDS)])
    return out


def summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{label:<28} p50 {statistics.median(values):8.1f} ms  p95 {p95:8.1f} ms  "
        f"max {ordered[-1]:8.1f} ms  (n={len(values)})"
    )


async def time_searches(
    search: MessageSearch, qs: list[list[str]], conversation_ids: list[str] | None
) -> tuple[list[float], int]:
    from chat_service.search_terms import query_terms

    timings: list[float] = []
    found = 0
    for words in qs:
        terms = query_terms(" ".join(words))
        started = time.perf_counter()
        docs = await search.find(terms, conversation_ids, 0, PAGE + 1)
        timings.append((time.perf_counter() - started) * 1000)
        found += len(docs)
    return timings, found


async def time_inserts(collection: AsyncCollection[Json], first: int) -> list[float]:
    rnd = random.Random(first)
    timings: list[float] = []
    for i in range(first, first + INSERTS):
        doc = message(i, text_for(rnd, i))
        started = time.perf_counter()
        await collection.insert_one(doc)
        timings.append((time.perf_counter() - started) * 1000)
    await collection.delete_many({"_id": {"$gte": f"m{first:08d}"}})
    return timings


def index_size(path: Path) -> tuple[int, int, int]:
    """Entries and key bytes of the multikey index rows (mongoeco's `multikey_entries`),
    and the file's size."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT count(*), coalesce(sum(length(element_key) + length(storage_key)), 0) "
            "FROM multikey_entries"
        ).fetchone()
    return int(row[0]), int(row[1]), path.stat().st_size


async def time_search(collection: AsyncCollection[Json], total: int, n: int) -> None:
    search = MessageSearch(collection)
    rnd = random.Random(7)
    qs = queries(rnd, n)
    conversations = total // PER_CONVERSATION
    agent_ids = sorted(f"c{rnd.randrange(conversations):06d}" for _ in range(AGENT_CONVERSATIONS))
    await time_searches(search, qs[:6], None)  # warm-up
    supervisor, found_s = await time_searches(search, qs, None)
    agent, found_a = await time_searches(search, qs, agent_ids)
    print(f"messages: {total}  queries: {len(qs)}")
    print(summary("search (supervisor)", supervisor), f"results {found_s}")
    print(summary(f"search (agent, {AGENT_CONVERSATIONS} conv.)", agent), f"results {found_a}")


async def bench(args: argparse.Namespace, path: Path) -> None:
    async with StoreChild("chat", path) as client:
        collection = client["bench"]["messages"]
        total = 0
        for target in args.messages:
            total = await fill(collection, target)
            await time_search(collection, total, args.queries)
        if args.search_only:
            return
        with_index = await time_inserts(collection, total + 1_000_000)
        entries, key_bytes, size = await asyncio.to_thread(index_size, path)
        await collection.drop_index("search_terms")
        without = await time_inserts(collection, total + 2_000_000)
    print(summary("insert with search_terms index", with_index))
    print(summary("insert without the index", without))
    ratio = statistics.median(with_index) / statistics.median(without)
    print(f"insert p50 ratio with/without the index: {ratio:.2f}x")
    print(
        f"search_terms index (before the drop): {entries} entries,",
        f"{key_bytes / 1e6:.1f} MB of keys; file {size / 1e6:.0f} MB",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--messages",
        type=lambda text: sorted(int(n) for n in text.split(",")),
        default=[10_000, 100_000],
        help="sizes to measure at, comma-separated",
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="SQLite file kept between runs")
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="measure searches only (no inserts: a kept file keeps its index)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.keep is not None:
        asyncio.run(bench(args, args.keep))
        return 0
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        asyncio.run(bench(args, Path(tmp) / "search.sqlite"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
