"""The embedded store's engine keeps MongoDB's uniqueness rules while inserts no longer
scan the collection: over the wire, as the service uses it (or against MONGODB_URI)."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from bson.int64 import Int64
from mongoeco.wire import executor as wire_executor
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from chat_service.storage import embedded_server
from chat_service.storage.embedded import INTERNAL_ERROR_PREFIX
from chat_service.storage.embedded_engine import ChatStoreEngine, _value_at
from tests.helpers.embedded import served_engine


async def test_when_an_id_is_stored_again_then_it_is_refused_among_many(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    await collection.insert_many([{"_id": f"m-{i}", "n": i} for i in range(300)])
    for i in range(50):
        await collection.insert_one({"_id": f"single-{i}"})
    for again in ("m-7", "single-3", "m-299"):
        with pytest.raises(DuplicateKeyError):
            await collection.insert_one({"_id": again, "n": -1})
    assert await collection.count_documents({}) == 350
    assert (await collection.find_one({"_id": "m-7"})) == {"_id": "m-7", "n": 7}


async def test_when_an_equal_number_of_another_type_is_stored_then_it_is_refused(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    await collection.insert_one({"_id": 1})
    await collection.insert_one({"_id": {"order": 7, "line": 2}})
    for equal in (1.0, Int64(1)):
        with pytest.raises(DuplicateKeyError):
            await collection.insert_one({"_id": equal})
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"_id": {"order": 7.0, "line": Int64(2)}})
    await collection.insert_one({"_id": "1"})  # a string is not the number
    assert await collection.count_documents({}) == 3


async def unique_codes(collection: AsyncCollection[dict[str, Any]], count: int) -> None:
    """A unique index on `code`, then `count` single inserts of scalar codes c0, c1, ..."""
    await collection.create_index("code", unique=True)
    for i in range(count):
        await collection.insert_one({"_id": f"s-{i}", "code": f"c{i}"})


async def test_when_a_unique_field_holds_an_array_then_each_element_is_a_key(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    await unique_codes(collection, 20)
    # The first array under the index arrives after many scalar inserts.
    await collection.insert_one({"_id": "arr", "code": ["x", "y"]})
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"_id": "dup-element", "code": "y"})
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"_id": "dup-scalar", "code": "c3"})
    await collection.insert_one({"_id": "fresh", "code": "z"})
    assert await collection.count_documents({}) == 22


async def test_when_an_update_makes_a_unique_field_an_array_then_inserts_respect_it(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    await unique_codes(collection, 10)
    await collection.update_one({"_id": "s-4"}, {"$set": {"code": ["c4", "extra"]}})
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"_id": "dup-element", "code": "extra"})
    await collection.delete_one({"_id": "s-4"})
    await collection.insert_one({"_id": "after-delete", "code": "extra"})
    assert await collection.count_documents({"code": "extra"}) == 1


def test_values_are_read_by_path_as_the_store_reads_them() -> None:
    doc = {"a": {"b": [1, [2, 3]]}, "c": "x"}
    assert _value_at(doc, "a.b") == (True, [1, [2, 3]])
    assert _value_at(doc, "a.b.1") == (True, [2, 3])
    assert _value_at(doc, "a.b.5") == (False, None)
    assert _value_at(doc, "c.d") == (False, None)
    assert _value_at(doc, "missing") == (False, None)


async def test_when_no_change_stream_reads_the_outbox_then_it_stays_bounded_across_restarts(
    tmp_path: Path,
) -> None:
    """The engine hands no changes to a change-stream consumer (see embedded_engine.py):
    the outbox must still be cut to its capacity on each write, and a store restarted on a
    file whose outbox wrapped must still take writes."""
    path = tmp_path / "store.sqlite"
    capacity = 5
    async with _served(path, capacity) as things:
        await things.insert_many([{"_id": f"m-{i}", "n": i} for i in range(20)])
        for i in range(20, 40):
            await things.insert_one({"_id": f"m-{i}", "n": i})
        await things.update_many({"n": {"$lt": 10}}, {"$set": {"seen": True}})
        await things.delete_one({"_id": "m-39"})
        assert _outbox_rows(path) <= capacity
    async with _served(path, capacity) as things:
        await things.insert_one({"_id": "after-restart", "n": 40})
        await things.update_one({"_id": "m-0"}, {"$inc": {"n": 100}})
        assert await things.count_documents({}) == 40
        assert await things.count_documents({"seen": True}) == 10
        assert (await things.find_one({"_id": "m-0"}) or {})["n"] == 100
        assert _outbox_rows(path) <= capacity


@contextlib.asynccontextmanager
async def _served(path: Path, capacity: int) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    engine = ChatStoreEngine(path=str(path), change_outbox_max_entries=capacity)
    async with served_engine(engine) as client:
        yield client["engine"]["things"]


def _outbox_rows(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        (rows,) = conn.execute("SELECT COUNT(*) FROM change_outbox").fetchone()
    return int(rows)


def test_when_commands_cache_features_while_an_insert_invalidates_then_no_error(
    tmp_path: Path,
) -> None:
    """Every insert invalidates its collection's entries in the engine's features cache
    while other commands' threads add entries to it. mongoeco filtered the keys as it
    iterated them: "dictionary changed size during iteration", which reached a client as a
    failed write (a legal hold's insert answered 500 once in a full run of the suite).
    Switching threads every microsecond makes the interleaving likely; it failed within a
    few thousand invalidations before the fix."""
    engine = ChatStoreEngine(path=str(tmp_path / "race.sqlite"))
    cache = engine._collection_features_cache
    for n in range(200):
        cache[("chat", f"c{n}", "field")] = True
    stop = threading.Event()

    def add_entries() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            cache[("chat", "other", f"f{n}")] = True
            cache.pop(("chat", "other", f"f{n - 50}"), None)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    writer = threading.Thread(target=add_entries)
    writer.start()
    try:
        for _ in range(20_000):
            engine._invalidate_collection_features_cache("chat", "legal_holds")
    finally:
        stop.set()
        writer.join()
        sys.setswitchinterval(interval)


def test_when_a_command_fails_inside_the_store_then_its_traceback_is_reported_on_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store child answers a client with the error's message only; an internal error
    (not a MongoDB error) is also written to stderr, one line the server logs."""
    original = wire_executor.build_error_document  # type: ignore[attr-defined]
    monkeypatch.setattr(wire_executor, "build_error_document", original)  # restored after
    embedded_server._report_internal_errors()
    try:
        raise RuntimeError("dictionary changed size during iteration")
    except RuntimeError as exc:
        answer = wire_executor.build_error_document(exc)  # type: ignore[attr-defined]
    assert answer["errmsg"] == "dictionary changed size during iteration"
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(INTERNAL_ERROR_PREFIX + "Traceback")
    assert "RuntimeError: dictionary changed size during iteration" in line
    wire_executor.build_error_document(DuplicateKeyError("dup"))  # type: ignore[attr-defined]
    assert capsys.readouterr().err == ""  # a MongoDB error is an answer, not a fault
