"""The search query (`search_terms $all`, newest first) is answered from the multikey index
on the embedded store (storage/embedded_term_reads.py), exactly as before: compared, over
the wire, with the same documents in a collection without that index (mongoeco's own
`json_each` translation) and with a model of the query, through inserts, updates and
deletes (or against MONGODB_URI)."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mongoeco.engines.sqlite import SQLiteEngine
from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.embedded_engine import ChatStoreEngine
from chat_service.storage.search import MessageSearch
from tests.helpers.embedded import served_engine

START = datetime(2026, 3, 1, tzinfo=UTC)
WORDS = ["refund", "order", "late", "退款", "订单", "parcel", "zeppelin", "42"]
QUERIES = [
    ["refund"],
    ["order", "late"],
    ["退款", "订单"],
    ["zeppelin"],
    ["refund", "order", "parcel"],
    ["42"],
    ["nowhere"],
    ["refund", "nowhere"],
    ["late", "late"],
]
CONVERSATIONS = [f"c{i}" for i in range(6)]


def _message(i: int, rnd: random.Random) -> dict[str, Any]:
    # Ties on created_at (two messages a minute), ids not in time order.
    return {
        "_id": f"m{(i * 7919) % 1000:04d}_{i}",
        "conversation_id": CONVERSATIONS[i % len(CONVERSATIONS)],
        "created_at": START + timedelta(minutes=i // 2),
        "search_terms": rnd.sample(WORDS, rnd.randint(0, 4)),
    }


def _holds(doc: dict[str, Any], terms: list[str]) -> bool:
    value = doc.get("search_terms")
    if isinstance(value, list):
        return all(t in value for t in terms)
    return len(terms) == 1 and value == terms[0]


def _expected(
    docs: dict[str, dict[str, Any]], terms: list[str], ids: list[str] | None
) -> list[str]:
    kept = [
        d
        for d in docs.values()
        if _holds(d, terms) and (ids is None or d["conversation_id"] in ids)
    ]
    kept.sort(key=lambda d: d["_id"])
    kept.sort(key=lambda d: d["created_at"], reverse=True)
    return [d["_id"] for d in kept]


async def _answers(collection: AsyncCollection[Any]) -> list[list[str]]:
    search = MessageSearch(collection)
    out: list[list[str]] = []
    for terms in QUERIES:
        for ids in (None, CONVERSATIONS[:2]):
            for skip, limit in ((0, 5), (3, 4), (0, 500)):
                out.append([d["_id"] for d in await search.find(terms, ids, skip, limit)])
    return out


def _model(docs: dict[str, dict[str, Any]]) -> list[list[str]]:
    out: list[list[str]] = []
    for terms in QUERIES:
        for ids in (None, CONVERSATIONS[:2]):
            found = _expected(docs, terms, ids)
            for skip, limit in ((0, 5), (3, 4), (0, 500)):
                out.append(found[skip : skip + limit])
    return out


async def _both(
    indexed: AsyncCollection[Any], plain: AsyncCollection[Any], op: str, *args: Any
) -> None:
    for collection in (indexed, plain):
        await getattr(collection, op)(*args)


async def test_when_messages_are_searched_then_the_answers_match_the_unindexed_query(
    collection: AsyncCollection[Any],
) -> None:
    indexed = collection
    plain = collection.database["plain"]
    await indexed.create_index("search_terms", name="search_terms")
    await indexed.create_index([("created_at", -1), ("_id", 1)], name="newest_first")
    await indexed.create_index([("conversation_id", 1), ("seq", 1)], name="conversation_seq")
    rnd = random.Random(20)
    docs = {d["_id"]: d for d in (_message(i, rnd) for i in range(240))}
    first = list(docs.values())
    await _both(indexed, plain, "insert_many", [dict(d) for d in first[:200]])
    for doc in first[200:]:  # single inserts, as the service stores messages
        await _both(indexed, plain, "insert_one", dict(doc))
    assert await _answers(indexed) == await _answers(plain) == _model(docs)

    # Texts rewritten (terms changed or gone), messages deleted, one without terms.
    for doc in first[::7]:
        terms = rnd.sample(WORDS, 2)
        await _both(
            indexed, plain, "update_one", {"_id": doc["_id"]}, {"$set": {"search_terms": terms}}
        )
        docs[doc["_id"]]["search_terms"] = terms
    for doc in first[3::11]:
        await _both(indexed, plain, "delete_one", {"_id": doc["_id"]})
        del docs[doc["_id"]]
    await _both(
        indexed, plain, "update_one", {"_id": first[1]["_id"]}, {"$unset": {"search_terms": ""}}
    )
    del docs[first[1]["_id"]]["search_terms"]
    assert await _answers(indexed) == await _answers(plain) == _model(docs)

    # A message whose terms are a string: it matches a one-term query as that string.
    odd = {**_message(900, rnd), "_id": "odd-string", "search_terms": "refund"}
    await _both(indexed, plain, "insert_one", dict(odd))
    docs["odd-string"] = odd
    assert await _answers(indexed) == await _answers(plain) == _model(docs)
    assert "odd-string" in (await _answers(indexed))[2]
    await _both(indexed, plain, "delete_one", {"_id": "odd-string"})
    del docs["odd-string"]
    assert await _answers(indexed) == await _answers(plain) == _model(docs)

    # A time that is an array: the sort goes mongoeco's own way, on both.
    odd_time = {**_message(901, rnd), "_id": "odd-time", "search_terms": ["refund"]}
    odd_time["created_at"] = [START, START + timedelta(days=9)]
    await _both(indexed, plain, "insert_one", odd_time)
    answers = await _answers(indexed)
    assert answers == await _answers(plain)
    assert answers[0][0] == "odd-time"  # newest first by its latest time


async def _plan(collection: AsyncCollection[Any], query: dict[str, Any]) -> str:
    plan = await collection.database.command(
        "explain",
        {
            "find": collection.name,
            "filter": query,
            "sort": {"created_at": -1, "_id": 1},
            "limit": 21,
        },
    )
    return " | ".join(plan["details"]["engine_details"])


async def test_when_messages_are_searched_then_the_store_reads_the_term_index(
    collection: AsyncCollection[Any], store_uri: str | None
) -> None:
    if store_uri is None:
        pytest.skip("the embedded store's own plan (real MongoDB explains differently)")
    await collection.create_index("search_terms", name="search_terms")
    rnd = random.Random(21)
    await collection.insert_many([_message(i, rnd) for i in range(60)])
    await collection.insert_one({**_message(61, rnd), "search_terms": ["rare", "order"]})
    agent = {"search_terms": {"$all": ["order", "late"]}, "conversation_id": {"$in": ["c1"]}}
    for query in ({"search_terms": {"$all": ["refund"]}}, agent):
        steps = await _plan(collection, query)
        assert "multikey_entries USING COVERING INDEX" in steps, steps
        # Documents are fetched by their key from the intersection, never scanned.
        assert "SEARCH documents USING INDEX sqlite_autoindex_documents_1" in steps, steps
        assert "storage_key=?" in steps, steps
        assert "SCAN documents" not in steps, steps

    # With the sort's index, a common term walks it (stopping at the page's end); a rare
    # one, or one with the agent's conversations, still reads the intersection.
    await collection.create_index([("created_at", -1), ("_id", 1)], name="newest_first")
    steps = await _plan(collection, {"search_terms": {"$all": ["refund"]}})
    assert "SEARCH documents USING INDEX idx_" in steps, steps
    assert "storage_key=?" not in steps, steps
    assert "multikey_entries USING COVERING INDEX" in steps, steps
    assert "TEMP B-TREE" not in steps, steps
    for query in ({"search_terms": {"$all": ["rare"]}}, agent):
        steps = await _plan(collection, query)
        assert "storage_key=?" in steps, steps
        assert "SCAN documents" not in steps, steps

    # With an index led by the conversation, an agent's query reads its conversations'.
    await collection.create_index([("conversation_id", 1), ("seq", 1)], name="conversation_seq")
    steps = await _plan(collection, agent)
    assert "(db_name=? AND coll_name=? AND <expr>=? AND <expr>=?)" in steps, steps
    assert "multikey_entries USING COVERING INDEX" in steps, steps
    assert "SCAN documents" not in steps, steps


@contextlib.asynccontextmanager
async def _served(engine: SQLiteEngine) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    async with served_engine(engine) as client:
        yield client["engine"]["messages"]


def _entries_plan_and_count(path: Path, message_id: str) -> tuple[str, int]:
    """How SQLite runs the delete of one document's multikey entries that precedes every
    write of that document, and how many entries it holds."""
    where = "WHERE collection_id = 1 AND storage_key = ?"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        storage_key = repr((str, message_id))  # mongoeco's key for a string `_id`
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN DELETE FROM multikey_entries {where}",  # noqa: S608
            (storage_key,),
        ).fetchall()
        (count,) = conn.execute(
            f"SELECT COUNT(*) FROM multikey_entries {where}",  # noqa: S608
            (storage_key,),
        ).fetchone()
    return " | ".join(str(row[-1]) for row in plan), int(count)


async def test_when_a_message_is_written_then_its_index_entries_are_found_by_its_key(
    tmp_path: Path,
) -> None:
    """A file made without the engine gets, once opened by it, an index that finds one
    document's multikey entries without reading the whole collection's."""
    path = tmp_path / "store.sqlite"
    rnd = random.Random(22)
    async with _served(SQLiteEngine(path=str(path))) as messages:
        await messages.create_index("search_terms", name="search_terms")
        await messages.insert_many([_message(i, rnd) for i in range(30)])
    plan, _ = _entries_plan_and_count(path, "m0000_0")
    assert "(collection_id=? AND storage_key=?)" not in plan, plan
    async with _served(ChatStoreEngine(path=str(path))) as messages:
        await messages.update_one({"_id": "m0000_0"}, {"$set": {"search_terms": ["a", "b"]}})
        await messages.delete_one({"_id": "m7919_1"})
        await messages.insert_one({**_message(31, rnd), "search_terms": ["c"]})
        assert [d["_id"] async for d in messages.find({"search_terms": {"$all": ["b", "a"]}})] == [
            "m0000_0"
        ]
    plan, count = _entries_plan_and_count(path, "m0000_0")
    assert "(collection_id=? AND storage_key=?)" in plan, plan
    assert count == 2
    assert _entries_plan_and_count(path, "m7919_1")[1] == 0
