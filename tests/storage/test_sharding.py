"""The declared shard keys (chat_service/storage/sharding.py) against the indexes the server
creates: every unique index of a sharded collection must start with its shard key (MongoDB's
rule), every shard key must be served by an index, and every collection must be declared."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gridfs import AsyncGridFSBucket

from chat_service.settings import Settings
from chat_service.storage.attachments import BUCKET
from chat_service.storage.db import Store, StoreKind, make_client
from chat_service.storage.sharding import SHARD_KEYS, UNSHARDED_WHY, unique_index_conflict


async def store_of_kind(settings: Settings, uri: str, kind: StoreKind) -> Store:
    client = await asyncio.to_thread(make_client, uri, kind, settings)
    store = Store(client, settings.config.store.database, kind)
    await store.ensure_indexes()
    await store.attachments.ensure_indexes()  # made on first use otherwise
    # GridFS makes its own indexes on the first upload.
    bucket = AsyncGridFSBucket(store.db, bucket_name=BUCKET)
    await bucket.upload_from_stream("probe", b"probe")
    return store


@pytest.fixture
async def mongodb_store(settings: Settings, store_uri: str | None) -> AsyncIterator[Store]:
    """The store as the server sets it up on MongoDB (the only kind that can be sharded):
    over MONGODB_URI when set, else the same index set made on the embedded store."""
    uri = store_uri or os.environ["MONGODB_URI"]
    store = await store_of_kind(settings, uri, "mongodb")
    try:
        yield store
    finally:
        await store.client.close()


async def indexes(store: Store) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for name in await store.db.list_collection_names():
        cursor = await store.db[name].list_indexes()
        found[name] = [dict(index) async for index in cursor]
    return found


async def test_when_the_server_creates_its_indexes_then_every_unique_one_fits_the_shard_key(
    mongodb_store: Store,
) -> None:
    created = await indexes(mongodb_store)
    undeclared = set(created) - set(SHARD_KEYS)
    assert not undeclared, f"declare a shard key (or None) in storage/sharding.py: {undeclared}"
    conflicts = []
    for collection, found in created.items():
        for index in found:
            key = tuple(index["key"])
            problem = unique_index_conflict(
                SHARD_KEYS[collection], key, unique=bool(index.get("unique"))
            )
            if problem is not None:
                conflicts.append(f"{collection}.{index['name']}: {problem}")
    assert conflicts == []


async def test_when_a_collection_is_sharded_then_an_index_supports_its_shard_key(
    mongodb_store: Store,
) -> None:
    created = await indexes(mongodb_store)
    for collection, shard_key in SHARD_KEYS.items():
        if shard_key is None or collection not in created:
            continue
        keys = [tuple(index["key"]) for index in created[collection]]
        assert any(key[: len(shard_key)] == shard_key for key in keys), (collection, keys)


def test_when_a_collection_stays_unsharded_then_the_reason_is_written() -> None:
    unsharded = {name for name, key in SHARD_KEYS.items() if key is None}
    assert unsharded == set(UNSHARDED_WHY)


def test_when_a_unique_index_lacks_the_shard_key_prefix_then_it_is_a_conflict() -> None:
    by_conversation = ("conversation_id",)
    assert unique_index_conflict(by_conversation, ("conv_seq",), unique=True) is not None
    assert unique_index_conflict(by_conversation, ("seq", "conversation_id"), unique=True)
    assert unique_index_conflict(by_conversation, ("conversation_id", "seq"), unique=True) is None
    assert unique_index_conflict(by_conversation, ("conv_seq",), unique=False) is None
    assert unique_index_conflict(by_conversation, ("_id",), unique=True) is None  # exempt
    assert unique_index_conflict(None, ("open_key",), unique=True) is None  # unsharded


async def test_when_on_mongodb_then_a_seq_is_still_taken_once_per_conversation(
    mongodb_store: Store,
) -> None:
    """The {conversation_id, seq} unique index that replaced `conv_seq` on MongoDB refuses
    a second message with the same seq, so instances sharing a store never share a seq."""
    from pymongo.errors import DuplicateKeyError

    messages = mongodb_store.db["messages"]
    await messages.insert_one({"_id": "m1", "conversation_id": "c1", "seq": 1})
    await messages.insert_one({"_id": "m2", "conversation_id": "c2", "seq": 1})
    with pytest.raises(DuplicateKeyError):
        await messages.insert_one({"_id": "m3", "conversation_id": "c1", "seq": 1})
