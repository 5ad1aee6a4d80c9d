"""The embedded engine keeps what it knows of a collection's fields (arrays, kinds of value,
arrays only) across the writes that cannot change it (embedded_engine.py, item 2): an
update of other fields, a `$set` noted from its value, a delete. Counted by the
whole-collection scans its reads run, and checked against mongoeco's own path (the same
documents and writes in a collection without those indexes), over the wire."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from chat_service.storage.embedded_engine import ChatStoreEngine
from tests.helpers.embedded import served_engine

type Doc = dict[str, Any]
START = datetime(2026, 3, 1, tzinfo=UTC)
INDEXES = [
    IndexModel([("created_at", -1), ("_id", 1)], name="newest_first"),
    IndexModel([("search_terms", 1)], name="search_terms"),
    IndexModel([("conversation_id", 1), ("seq", 1)], name="conversation_seq"),
    IndexModel([("conv_seq", 1)], name="conv_seq", unique=True),
]


def _is_scan(sql: str) -> bool:
    """A statement that reads every document of a collection for what the engine keeps:
    the kinds at a field, arrays only, any array (mongoeco's check, kept by the engine)."""
    sql = " ".join(sql.split())
    return sql.startswith("SELECT DISTINCT CASE WHEN") or (
        sql.startswith("SELECT 1 FROM documents WHERE") and sql.endswith("'array' LIMIT 1")
    )


class Scans:
    def __init__(self) -> None:
        self.count = 0

    def trace(self, sql: str) -> None:
        if _is_scan(sql):
            self.count += 1


@contextlib.asynccontextmanager
async def _served(path: Path, scans: Scans) -> AsyncIterator[AsyncDatabase[Doc]]:
    engine = ChatStoreEngine(path=str(path))
    create: Callable[[], sqlite3.Connection] = engine._create_sqlite_connection

    def traced() -> sqlite3.Connection:
        connection = create()
        connection.set_trace_callback(scans.trace)
        return connection

    engine._create_sqlite_connection = traced  # type: ignore[method-assign]
    async with served_engine(engine) as client:
        yield client["chat"]


def _message(i: int) -> Doc:
    return {
        "_id": f"m{i:03d}",
        "conversation_id": f"c{i % 4}",
        "seq": i,
        "conv_seq": f"c{i % 4}:{i:06d}",
        "created_at": START + timedelta(minutes=i // 2),  # ties on created_at
        "search_terms": ["refund", "order"] if i % 3 == 0 else ["parcel", f"w{i}"],
        "text": f"message {i}",
    }


async def _reads(messages: AsyncCollection[Doc]) -> list[list[str]]:
    """The reads that use what the engine keeps: the search's term read newest first
    (arrays only, kinds of the sort fields), an agent's `$in` of conversations (kinds)."""
    newest = [("created_at", -1), ("_id", 1)]
    answers = []
    for query in (
        {"search_terms": {"$all": ["refund"]}},
        {"search_terms": {"$all": ["parcel", "w7"]}},
        {"conversation_id": {"$in": ["c1", "c2"]}},
        {"conversation_id": {"$in": ["c1", "c2"]}, "search_terms": {"$all": ["parcel"]}},
    ):
        found = messages.find(query, {"_id": 1}).sort(newest).limit(10)
        answers.append([str(doc["_id"]) async for doc in found])
    return answers


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[tuple[AsyncDatabase[Doc], Scans]]:
    scans = Scans()
    async with _served(tmp_path / "store.sqlite", scans) as db:
        await db["messages"].create_indexes(INDEXES)
        await db["plain"].insert_one({"_id": "made"})  # mongoeco's own path: no indexes
        await db["plain"].delete_one({"_id": "made"})
        for collection in ("messages", "plain"):
            await db[collection].insert_many([_message(i) for i in range(40)])
        yield db, scans


async def _both(db: AsyncDatabase[Doc], write: Callable[[AsyncCollection[Doc]], Any]) -> None:
    for collection in ("messages", "plain"):
        await write(db[collection])


async def test_when_updates_leave_the_kept_fields_alone_then_reads_scan_nothing_again(
    store: tuple[AsyncDatabase[Doc], Scans],
) -> None:
    """A consent decision, an edit or a re-mask of a message updates it: before, each one
    made the next sorted, `$in` or term read of the collection scan every document again."""
    db, scans = store
    messages = db["messages"]
    first = await _reads(messages)
    assert scans.count > 0  # the kinds, arrays only: found once
    after_first = scans.count
    assert await _reads(messages) == first
    assert scans.count == after_first

    await _both(db, lambda c: c.update_one({"_id": "m003"}, {"$set": {"consent": "granted"}}))
    await _both(
        db,
        lambda c: c.find_one_and_update(
            {"_id": "m004"}, {"$set": {"text": "edited"}, "$inc": {"edits": 1}}
        ),
    )
    await _both(db, lambda c: c.update_many({"conversation_id": "c1"}, {"$set": {"seen": True}}))
    # A re-mask sets the terms anew: an array again, noted from the value.
    await _both(
        db,
        lambda c: c.update_one(
            {"_id": "m006"}, {"$set": {"text": "masked", "search_terms": ["parcel", "w7"]}}
        ),
    )
    await _both(db, lambda c: c.delete_one({"_id": "m009"}))
    await _both(db, lambda c: c.replace_one({"_id": "m010"}, _message(10) | {"text": "new"}))
    after_writes = scans.count  # (an update's own filter may ask a new question once)
    answers = await _reads(messages)
    assert scans.count == after_writes
    assert answers == await _reads(db["plain"])
    assert "m006" in answers[1] and "m009" not in answers[0]


async def test_when_an_update_brings_an_array_or_another_kind_then_reads_answer_as_mongoeco(
    store: tuple[AsyncDatabase[Doc], Scans],
) -> None:
    db, _ = store
    messages, plain = db["messages"], db["plain"]
    assert await _reads(messages) == await _reads(plain)  # what is kept is known now
    writes: list[Callable[[AsyncCollection[Doc]], Any]] = [
        # a string where every document held an array: a one-term read must find it
        lambda c: c.update_one({"_id": "m001"}, {"$set": {"search_terms": "refund"}}),
        # another kind at a sort field, and at a field read by `$in`
        lambda c: c.update_one({"_id": "m002"}, {"$set": {"created_at": "2026-03-01"}}),
        lambda c: c.update_one({"_id": "m005"}, {"$set": {"conversation_id": 1}}),
        lambda c: c.find_one_and_update(
            {"_id": "m013"}, {"$set": {"conversation_id": ["c1", "c2"]}}
        ),
        # touched other than by a whole `$set`: forgotten
        lambda c: c.update_one({"_id": "m014"}, {"$unset": {"created_at": ""}}),
        lambda c: c.update_one({"_id": "m017"}, {"$push": {"search_terms": "refund"}}),
        lambda c: c.update_one({"_id": "m018"}, {"$rename": {"text": "conversation_id"}}),
        lambda c: c.update_one({"_id": "m014"}, {"$set": {"created_at.day": 1}}),
        lambda c: c.replace_one(
            {"_id": "m022"}, {"conversation_id": "c2", "created_at": 7, "conv_seq": "r:1"}
        ),
        lambda c: c.update_one(
            {"_id": "new"}, {"$set": {"search_terms": "refund", "conv_seq": "u:1"}}, upsert=True
        ),
    ]
    for write in writes:
        await _both(db, write)
        assert await _reads(messages) == await _reads(plain)
    refund = {"search_terms": {"$all": ["refund"]}}
    found = {str(doc["_id"]) async for doc in messages.find(refund, {"_id": 1})}
    assert {"m001", "new"} <= found  # the string is found, as a term is

    # An array at the unique field: each element is a key (kept "no array" would miss it).
    await messages.update_one({"_id": "m030"}, {"$set": {"conv_seq": ["x:1", "x:2"]}})
    with pytest.raises(DuplicateKeyError):
        await messages.insert_one(_message(99) | {"conv_seq": "x:2"})
