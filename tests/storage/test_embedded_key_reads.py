"""A find that names its messages by `_id` (`MessageStore.many`, the consent path's read)
reads them through the documents table's primary key, not every message of the collection
(embedded_engine.py, item 8): every statement the read runs on `documents`, explained by
SQLite, finds its rows by storage key; and the answers are those of the filter, other
conditions, sort, skip, limit and projection included. Over the wire, in process."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.messages import MessageStore
from tests.helpers.messages import stored_message
from tests.storage.test_embedded_feature_memory import Scans, _served

type Doc = dict[str, Any]
MESSAGES = 120
CONVERSATIONS = ("c-one", "c-two", "c-three")


class Statements(Scans):
    """Every statement the engine's connections run (not only the scans)."""

    def __init__(self) -> None:
        super().__init__()
        self.sql: list[str] = []

    def trace(self, sql: str) -> None:
        self.sql.append(" ".join(sql.split()))

    async def document_reads[T](self, path: Path, command: Awaitable[T]) -> tuple[T, list[str]]:
        """`command`'s outcome, and how the statements it ran read `documents`."""
        self.sql.clear()
        outcome = await command
        return outcome, _document_reads(path, self.sql)


def _document_reads(path: Path, statements: list[str]) -> list[str]:
    """How SQLite reads `documents` in each SELECT among `statements` (EXPLAIN QUERY PLAN
    of the traced statement, its values inlined), one line a statement and table use."""
    reads = []
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        for sql in statements:
            if sql.startswith("SELECT") and "FROM documents" in sql:
                plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
                reads += [str(row[-1]) for row in plan if " documents " in f"{row[-1]} "]
    return reads


def _ids(docs: list[Doc]) -> list[str]:
    return [str(doc["_id"]) for doc in docs]


@pytest.fixture
async def messages(tmp_path: Path) -> Any:
    statements = Statements()
    path = tmp_path / "store.sqlite"
    async with _served(path, statements) as db:
        collection: AsyncCollection[Doc] = db["messages"]
        await MessageStore(collection).ensure_indexes()
        await collection.insert_many(
            [
                stored_message(CONVERSATIONS[n % 3], n // 3 + 1, sensitive=n % 5 == 0)
                for n in range(MESSAGES)
            ]
        )
        yield collection, statements, path


async def test_when_messages_are_read_by_id_then_only_their_keys_are_read(
    messages: tuple[AsyncCollection[Doc], Statements, Path],
) -> None:
    collection, statements, path = messages
    wanted = ["m-c-two-7", "m-c-one-3", "m-c-two-40", "m-c-one-3", "m-nowhere-1"]
    reads: list[tuple[str, list[str]]] = []

    async def read(name: str, query: Any) -> Any:
        docs, plan = await statements.document_reads(path, query)
        reads.append((name, plan))
        return docs

    many = await read("many", MessageStore(collection).many(wanted))
    assert _ids(many) == ["m-c-one-3", "m-c-two-7", "m-c-two-40"]  # by seq
    with_condition = await read(
        "$in and a condition",
        collection.find({"_id": {"$in": wanted}, "conversation_id": "c-two"}).to_list(),
    )
    assert sorted(_ids(with_condition)) == ["m-c-two-40", "m-c-two-7"]
    one = await read("equality", collection.find_one({"_id": "m-c-three-9"}))
    assert one is not None and one["seq"] == 9

    for name, plan in reads:
        assert plan, f"{name}: no read of documents traced"
        for line in plan:
            # Before: `(db_name=? AND coll_name=?)`, every message of the collection.
            assert "storage_key=?" in line, f"{name}: {line}"


async def test_when_messages_are_read_by_id_then_the_answers_are_the_filters(
    messages: tuple[AsyncCollection[Doc], Statements, Path],
) -> None:
    collection, _, _ = messages
    all_docs = {str(doc["_id"]): doc async for doc in collection.find({})}
    some = [f"m-{CONVERSATIONS[n % 3]}-{n // 3 + 1}" for n in range(0, MESSAGES, 7)]
    some_set = set(some)

    def model(keep: Any, order: Any = None) -> list[str]:
        found = [doc for key, doc in sorted(all_docs.items()) if key in some_set and keep(doc)]
        return _ids(sorted(found, key=order) if order else found)

    async def unordered(query: Doc) -> list[str]:  # no sort: in no promised order
        return sorted(_ids(await collection.find(query).to_list()))

    ids = {"$in": [*some, "m-none", some[0]]}
    assert await unordered({"_id": ids}) == model(lambda d: True)
    newest = await collection.find({"_id": ids}).sort([("seq", -1), ("_id", 1)]).to_list()
    assert _ids(newest) == model(lambda d: True, lambda d: (-d["seq"], d["_id"]))
    page = collection.find({"_id": ids}, {"seq": 1}).sort("seq", 1).skip(2).limit(3)
    docs = await page.to_list()
    assert _ids(docs) == model(lambda d: True, lambda d: (d["seq"], d["_id"]))[2:5]
    assert all(set(doc) == {"_id", "seq"} for doc in docs)
    both = {"$and": [{"_id": ids}, {"seq": {"$gt": 10}}, {"conversation_id": {"$ne": "c-one"}}]}
    assert await unordered(both) == model(
        lambda d: d["seq"] > 10 and d["conversation_id"] != "c-one"
    )
    sensitive = {"_id": ids, "secrets.0": {"$exists": True}}
    assert await unordered(sensitive) == model(lambda d: d.get("secrets"))
    assert await collection.count_documents({"_id": ids}) == len(some_set)
    assert await collection.find({"_id": {"$in": []}}).to_list() == []
    # Not a key read: another type of id, and a collation (mongoeco's own way).
    assert await collection.find({"_id": {"$in": [1, "m-c-one-1"]}}).to_list() == [
        all_docs["m-c-one-1"]
    ]
    folded = collection.find({"_id": "M-C-ONE-1"}, collation={"locale": "en", "strength": 2})
    assert _ids(await folded.to_list()) == ["m-c-one-1"]


async def test_when_a_document_is_updated_by_id_and_a_condition_then_only_its_key_is_read(
    messages: tuple[AsyncCollection[Doc], Statements, Path],
) -> None:
    """An update or delete whose filter names its document by `_id` beside other
    conditions (the inbox's `$max` of a conversation's seqs: `{_id, last_seq: {$exists}}`)
    reads that document by its storage key (item 9). Before: every statement below read
    the whole collection, four times for a `$max` (the document, then three scans for
    decimals at the condition's field), ~19 ms of the store's CPU at 2,000 conversations."""
    collection, statements, path = messages
    writes: list[tuple[str, list[str]]] = []

    async def write(name: str, command: Any) -> Any:
        outcome, plan = await statements.document_reads(path, command)
        writes.append((name, plan))
        return outcome

    maxed = await write(
        "$max",
        collection.update_one(
            {"_id": "m-c-one-3", "seq": {"$exists": True}}, {"$max": {"seq": 50}}
        ),
    )
    assert maxed.modified_count == 1
    same = await write(
        "$max, not more",
        collection.update_one({"_id": "m-c-one-3", "seq": {"$exists": True}}, {"$max": {"seq": 9}}),
    )
    assert (same.matched_count, same.modified_count) == (1, 0)
    after = await write(
        "find_one_and_update",
        collection.find_one_and_update(
            {"_id": {"$in": ["m-c-two-7", "m-c-two-8"]}, "conversation_id": "c-two"},
            {"$set": {"read": True}},
        ),
    )
    assert after is not None and after["_id"] in ("m-c-two-7", "m-c-two-8")  # no order
    gone = await write(
        "delete", collection.delete_one({"_id": "m-c-three-9", "conversation_id": "c-three"})
    )
    assert gone.deleted_count == 1

    for name, plan in writes:
        assert plan, f"{name}: no read of documents traced"
        for line in plan:
            assert "storage_key=?" in line, f"{name}: {line}"
    stored = await collection.find_one({"_id": "m-c-one-3"})
    assert stored is not None and stored["seq"] == 50
    assert await collection.find_one({"_id": "m-c-three-9"}) is None


async def test_when_a_document_is_updated_by_id_and_a_condition_then_only_a_match_changes(
    messages: tuple[AsyncCollection[Doc], Statements, Path],
) -> None:
    collection, _, _ = messages
    # The condition fails: nothing matched, nothing changed.
    missed = await collection.update_one(
        {"_id": "m-c-one-4", "last_seq": {"$exists": True}}, {"$max": {"last_seq": 3}}
    )
    assert (missed.matched_count, missed.modified_count) == (0, 0)
    assert "last_seq" not in (await collection.find_one({"_id": "m-c-one-4"}) or {})
    # Of several named ids, the one that meets the condition.
    picked = await collection.find_one_and_update(
        {"_id": {"$in": ["m-c-one-1", "m-c-two-1", "m-nowhere"]}, "conversation_id": "c-two"},
        {"$inc": {"seq": 1000}},
        return_document=True,
    )
    assert picked is not None and (picked["_id"], picked["seq"]) == ("m-c-two-1", 1001)
    assert (await collection.find_one({"_id": "m-c-one-1"}) or {})["seq"] == 1
    # Of several that meet it, one only.
    one = await collection.update_many(
        {"_id": {"$in": ["m-c-one-6", "m-c-one-7"]}, "conversation_id": "c-one"},
        {"$set": {"many": True}},
    )
    assert one.modified_count == 2  # update_many: both, as before
    single = await collection.update_one(
        {"_id": {"$in": ["m-c-one-6", "m-c-one-7"]}, "many": True}, {"$unset": {"many": ""}}
    )
    assert single.modified_count == 1
    assert await collection.count_documents({"many": True}) == 1
    # None of the named ids exists, and a condition on another field: no write.
    none = await collection.delete_one({"_id": "m-nowhere", "seq": 1})
    assert none.deleted_count == 0
    # mongoeco's own way still: `$expr` (the operation's variables) and a collation.
    expr = await collection.update_one(
        {"_id": "m-c-one-2", "$expr": {"$eq": ["$seq", 2]}}, {"$set": {"expr": True}}
    )
    assert expr.modified_count == 1
    folded = await collection.update_one(
        {"_id": "M-C-ONE-5", "seq": 5},
        {"$set": {"folded": True}},
        collation={"locale": "en", "strength": 2},
    )
    assert folded.modified_count == 1
    assert await collection.count_documents({}) == MESSAGES
