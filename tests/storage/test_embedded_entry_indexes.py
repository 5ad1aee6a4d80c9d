"""The embedded store keeps one SQLite index per entry table instead of mongoeco's identical
copy per MongoDB index (embedded_engine.py, item 7): a message insert writes each of its
index entries into one lookup index, and every read, uniqueness check and index drop
answers as before, over the wire, on new files and on files mongoeco wrote with its
copies."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mongoeco.engines.sqlite import SQLiteEngine
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from chat_service.storage.db import Store
from chat_service.storage.embedded_engine import (
    MULTIKEY_ENTRIES_INDEX,
    SCALAR_ENTRIES_INDEX,
    ChatStoreEngine,
)
from tests.helpers.embedded import served_engine
from tests.helpers.messages import stored_message

# The lookup indexes any file has on each entry table besides the shared one: mongoeco's
# own by-document index of scalar entries, and the engine's for multikey entries (item 6).
BY_DOCUMENT = {
    "multikey_entries": "chat_multikey_entries_storage",
    "scalar_index_entries": "idx_scalar_index_entries_storage",
}


@contextlib.asynccontextmanager
async def _served(path: Path, *, stock: bool = False) -> AsyncIterator[AsyncDatabase[Any]]:
    engine = SQLiteEngine(path=str(path)) if stock else ChatStoreEngine(path=str(path))
    async with served_engine(engine) as client:
        yield client["chat"]


def _entry_indexes(path: Path) -> dict[str, set[str]]:
    """The SQLite indexes on each entry table, by name."""
    found: dict[str, set[str]] = {table: set() for table in BY_DOCUMENT}
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        for name, table in conn.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ):
            if table in found:
                found[table].add(str(name))
    return found


SHARED = {
    "multikey_entries": {MULTIKEY_ENTRIES_INDEX, BY_DOCUMENT["multikey_entries"]},
    "scalar_index_entries": {SCALAR_ENTRIES_INDEX, BY_DOCUMENT["scalar_index_entries"]},
}


async def test_when_the_server_indexes_exist_then_a_message_entry_is_written_to_one_lookup_index(
    tmp_path: Path,
) -> None:
    """With every index the server creates (12 multikey, 17 single-field), mongoeco had an
    identical SQLite index per MongoDB index on each entry table, every one holding every
    collection's entries: a message's ten search terms were each written into 13 indexes."""
    path = tmp_path / "store.sqlite"
    async with _served(path) as db:
        store = Store(db.client, db.name, "embedded")
        await store.ensure_indexes()
        messages = db["messages"]
        await messages.insert_one(stored_message("c-1", 1, sensitive=False))
        await messages.insert_one(stored_message("c-1", 2, sensitive=True))
        assert _entry_indexes(path) == SHARED
        # The message is found through both kinds of entries: its terms and its conv_seq.
        found = await messages.find({"search_terms": {"$all": ["parcel", "late"]}}).to_list()
        assert [m["seq"] for m in found] == [1]
        assert await messages.count_documents({"conv_seq": found[0]["conv_seq"]}) == 1
        assert await messages.count_documents({"secrets.state": "pending"}) == 1


async def test_when_a_file_has_mongoeco_copies_then_they_are_dropped_and_reads_answer_alike(
    tmp_path: Path,
) -> None:
    """A file written by mongoeco's own engine (its copies in place) opened by the store's:
    the copies go, and multikey reads, a unique single-field index and index drops
    (which name the shared index) answer as they did."""
    path = tmp_path / "store.sqlite"
    docs = [
        {"_id": f"t{i}", "tags": [f"tag{i % 3}", f"n{i}"], "code": f"k{i}", "owner": f"o{i % 2}"}
        for i in range(30)
    ]
    notes = [{"_id": f"n{i}", "labels": [f"tag{i % 3}"], "ref": f"r{i}"} for i in range(9)]
    async with _served(path, stock=True) as db:
        await db["things"].create_indexes(
            [
                IndexModel([("tags", 1)], name="tags"),
                IndexModel([("code", 1)], name="code", unique=True),
                IndexModel([("owner", 1)], name="owner"),
            ]
        )
        await db["notes"].create_index([("labels", 1)], name="labels")
        await db["notes"].create_index([("ref", 1)], name="ref", unique=True)
        await db["things"].insert_many(docs)
        await db["notes"].insert_many(notes)
    before = _entry_indexes(path)
    assert len(before["multikey_entries"]) > 2  # mongoeco's copies (not this engine's)

    async with _served(path) as db:
        assert _entry_indexes(path) == SHARED
        things, labelled = db["things"], db["notes"]
        assert await _ids(things, {"tags": "tag1"}) == {f"t{i}" for i in range(1, 30, 3)}
        assert await _ids(things, {"tags": {"$all": ["tag2", "n5"]}}) == {"t5"}
        assert await _ids(labelled, {"labels": {"$in": ["tag0"]}}) == {"n0", "n3", "n6"}
        assert await _ids(things, {"code": "k7"}) == {"t7"}
        with pytest.raises(DuplicateKeyError):
            await things.insert_one({"_id": "dup", "code": "k7"})
        with pytest.raises(DuplicateKeyError):
            await labelled.insert_one({"_id": "dup", "ref": "r3"})

        # A new index after the move: its copy is dropped too, its entries are read.
        await things.create_index([("colours", 1)], name="colours")
        await things.insert_one({"_id": "c1", "colours": ["red", "blue"], "code": "kc"})
        assert _entry_indexes(path) == SHARED
        assert await _ids(things, {"colours": "blue"}) == {"c1"}

        # Dropping indexes and a collection names the shared index: it stays, and the
        # other indexes' entries are still read through it.
        await things.drop_index("tags")
        await things.drop_index("code")
        await db.drop_collection("notes")
        assert _entry_indexes(path) == SHARED
        assert await _ids(things, {"tags": "tag1"}) == {f"t{i}" for i in range(1, 30, 3)}
        assert await _ids(things, {"colours": "red"}) == {"c1"}
        assert await _ids(things, {"owner": "o1"}) == {f"t{i}" for i in range(1, 30, 2)}
        await things.insert_one({"_id": "dup2", "code": "k7"})  # no longer unique
        await db["notes"].create_index([("ref", 1)], name="ref", unique=True)
        await db["notes"].insert_one({"_id": "again", "ref": "r3"})
        with pytest.raises(DuplicateKeyError):
            await db["notes"].insert_one({"_id": "again2", "ref": "r3"})
    async with _served(path) as db:  # and after a restart
        assert _entry_indexes(path) == SHARED
        assert await _ids(db["things"], {"colours": "red"}) == {"c1"}


async def _ids(collection: Any, query: dict[str, Any]) -> set[str]:
    return {str(doc["_id"]) async for doc in collection.find(query, {"_id": 1})}
