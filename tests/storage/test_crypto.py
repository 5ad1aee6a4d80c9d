"""Field-level encryption against the real embedded store: data keys per customer,
round trips, nothing in clear at rest, crypto-shredding, master key loading."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bson
import pytest
from bson.binary import Binary
from pymongo import AsyncMongoClient

from chat_service.settings import Secret
from chat_service.storage.crypto import (
    KEY_VAULT_COLLECTION,
    FieldCipher,
    MasterKeyError,
    encrypted_key_id,
    load_master_key,
)

VALUES = ("hello, my card is 4111 1111 1111 1111", "我的电话是13812345678", "ok 👍🏽 see you 🎉")


@dataclass
class Db:
    client: AsyncMongoClient[dict[str, Any]]
    name: str

    async def vault_docs(self, query: dict[str, Any] | None = None) -> int:
        return await self.client[self.name][KEY_VAULT_COLLECTION].count_documents(query or {})


@pytest.fixture
async def db(store_uri: str | None) -> AsyncIterator[Db]:
    uri = store_uri or os.environ["MONGODB_URI"]
    # PyMongo stats /.dockerenv while constructing: keep it off the event loop.
    client: AsyncMongoClient[dict[str, Any]] = await asyncio.to_thread(
        AsyncMongoClient, uri, tz_aware=True
    )
    name = "t_" + secrets.token_hex(6)
    try:
        yield Db(client, name)
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def ciphers(db: Db) -> AsyncIterator[list[FieldCipher]]:
    """Every FieldCipher a test starts (through `started`), closed at the end."""
    made: list[FieldCipher] = []
    yield made
    for cipher in made:
        await cipher.close()


async def started(db: Db, made: list[FieldCipher], master_key: bytes) -> FieldCipher:
    cipher = FieldCipher(db.client, db.name, master_key)
    made.append(cipher)
    await cipher.start()
    return cipher


@pytest.fixture
def master_key() -> bytes:
    return secrets.token_bytes(96)


@pytest.fixture
async def cipher(db: Db, ciphers: list[FieldCipher], master_key: bytes) -> FieldCipher:
    return await started(db, ciphers, master_key)


# -- round trip, randomness, nothing in clear at rest ------------------------------------------


async def test_when_values_are_encrypted_then_they_decrypt_to_the_same_text(
    cipher: FieldCipher,
) -> None:
    for value in VALUES:
        encrypted = await cipher.encrypt("cust-1", value)
        assert encrypted.subtype == 6
        assert await cipher.decrypt(encrypted) == value


async def test_when_one_value_is_encrypted_twice_then_the_ciphertexts_differ(
    cipher: FieldCipher,
) -> None:
    first = await cipher.encrypt("cust-1", VALUES[0])
    second = await cipher.encrypt("cust-1", VALUES[0])
    assert first != second
    assert await cipher.decrypt(first) == await cipher.decrypt(second) == VALUES[0]


async def test_when_a_document_is_stored_then_its_raw_bytes_hold_no_plaintext(
    db: Db, cipher: FieldCipher
) -> None:
    fields = {f"f{i}": await cipher.encrypt("cust-1", value) for i, value in enumerate(VALUES)}
    collection = db.client[db.name]["messages"]
    await collection.insert_one({"_id": "m1", **fields})

    raw = await collection.find_one({"_id": "m1"})  # a plain client: no decryption
    assert raw is not None
    encoded = bson.encode(raw)
    for value in VALUES:
        assert value.encode() not in encoded
    for i, value in enumerate(VALUES):
        stored = raw[f"f{i}"]
        assert isinstance(stored, Binary)
        assert await cipher.decrypt(stored) == value


# -- one data key per customer -----------------------------------------------------------------


async def test_when_a_customer_encrypts_again_then_the_same_data_key_is_reused(
    db: Db, cipher: FieldCipher
) -> None:
    assert not await cipher.has_key("cust-1")
    first = await cipher.encrypt("cust-1", "a")
    second = await cipher.encrypt("cust-1", "b")
    assert await cipher.has_key("cust-1")
    assert encrypted_key_id(first) == encrypted_key_id(second)
    assert await db.vault_docs() == 1
    assert await db.vault_docs({"keyAltNames": "customer:cust-1"}) == 1


async def test_when_two_customers_encrypt_then_each_has_its_own_data_key(
    db: Db, cipher: FieldCipher
) -> None:
    one = await cipher.encrypt("cust-1", "same text")
    two = await cipher.encrypt("cust-2", "same text")
    assert encrypted_key_id(one) != encrypted_key_id(two)
    assert await db.vault_docs() == 2


async def test_when_first_encryptions_race_for_one_customer_then_exactly_one_key_is_made(
    db: Db, ciphers: list[FieldCipher], master_key: bytes
) -> None:
    # Two ciphers on one vault stand for two processes; each also races with itself.
    one = await started(db, ciphers, master_key)
    two = await started(db, ciphers, master_key)
    results = await asyncio.gather(
        *(c.encrypt("cust-1", f"value {i}") for i in range(8) for c in (one, two))
    )
    assert await db.vault_docs() == 1
    assert len({encrypted_key_id(r) for r in results}) == 1
    for i, result in enumerate(results):
        assert await one.decrypt(result) == f"value {i // 2}"


# -- crypto-shredding --------------------------------------------------------------------------


async def test_when_a_customer_is_shredded_then_their_values_are_unreadable_at_once(
    db: Db, cipher: FieldCipher, ciphers: list[FieldCipher], master_key: bytes
) -> None:
    gone = [await cipher.encrypt("cust-1", value) for value in VALUES]
    kept = await cipher.encrypt("cust-2", "still here")
    assert await cipher.decrypt(gone[0]) == VALUES[0]  # its data key is now cached

    assert await cipher.shred("cust-1") is True

    # Same process, same instance: no 60 s key-cache window.
    assert [await cipher.decrypt(value) for value in gone] == [None, None, None]
    assert not await cipher.has_key("cust-1")
    assert await db.vault_docs() == 1
    fresh = await started(db, ciphers, master_key)
    assert [await fresh.decrypt(value) for value in gone] == [None, None, None]
    assert await cipher.decrypt(kept) == "still here"
    assert await fresh.decrypt(kept) == "still here"


async def test_when_a_shredded_customer_writes_again_then_a_new_key_is_used(
    cipher: FieldCipher,
) -> None:
    old = await cipher.encrypt("cust-1", "before")
    await cipher.shred("cust-1")
    new = await cipher.encrypt("cust-1", "after")
    assert encrypted_key_id(new) != encrypted_key_id(old)
    assert await cipher.decrypt(new) == "after"
    assert await cipher.decrypt(old) is None


async def test_when_an_unknown_customer_is_shredded_then_false(cipher: FieldCipher) -> None:
    assert await cipher.shred("nobody") is False


async def test_when_another_process_shredded_then_encrypt_makes_a_new_key(
    db: Db, ciphers: list[FieldCipher], master_key: bytes
) -> None:
    here = await started(db, ciphers, master_key)
    there = await started(db, ciphers, master_key)
    old = await here.encrypt("cust-1", "before")
    assert await there.shred("cust-1") is True
    # `here` still knows the old key id; it finds it gone only once libmongocrypt's cache
    # (KEY_CACHE_MS) lets go, so drop that cache the way a new process would start.
    await here._renew_encryption()
    new = await here.encrypt("cust-1", "after")
    assert encrypted_key_id(new) != encrypted_key_id(old)
    assert await there.decrypt(new) == "after"
    assert await there.decrypt(old) is None


# -- wrong master key --------------------------------------------------------------------------


async def test_when_the_master_key_is_wrong_then_start_fails_with_a_clear_error(
    db: Db, cipher: FieldCipher, ciphers: list[FieldCipher]
) -> None:
    await cipher.encrypt("cust-1", VALUES[0])
    with pytest.raises(MasterKeyError, match="cannot unwrap"):
        await started(db, ciphers, secrets.token_bytes(96))


async def test_when_the_master_key_is_wrong_then_decrypt_raises_rather_than_returning_none(
    db: Db, ciphers: list[FieldCipher], master_key: bytes
) -> None:
    # Started on an empty vault, so start() had nothing to check the key against.
    wrong = await started(db, ciphers, secrets.token_bytes(96))
    right = await started(db, ciphers, master_key)
    encrypted = await right.encrypt("cust-1", VALUES[1])
    with pytest.raises(MasterKeyError, match="CHAT_SERVICE_MASTER_KEY"):
        await wrong.decrypt(encrypted)
    with pytest.raises(MasterKeyError):
        await wrong.encrypt("cust-1", "more")
    assert await right.decrypt(encrypted) == VALUES[1]


# -- load_master_key ---------------------------------------------------------------------------


def test_when_the_master_key_is_base64_of_96_bytes_then_it_is_used(tmp_path: Path) -> None:
    key = secrets.token_bytes(96)
    text = base64.b64encode(key).decode()
    assert load_master_key(Secret(text), tmp_path, allow_dev_key=False) == key
    assert load_master_key(Secret(text + "\n"), tmp_path, allow_dev_key=True) == key
    assert not (tmp_path / "master.key").exists()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (base64.b64encode(b"k" * 32).decode(), "exactly 96 bytes"),
        (base64.b64encode(b"k" * 97).decode(), "exactly 96 bytes"),
        ("not base64 at all! " * 8, "not valid base64"),
        ("c2VjcmV0" + "*" * 120, "not valid base64"),
    ],
)
def test_when_the_master_key_is_malformed_then_the_error_never_shows_it(
    tmp_path: Path, text: str, reason: str
) -> None:
    with pytest.raises(MasterKeyError, match=reason) as caught:
        load_master_key(Secret(text), tmp_path, allow_dev_key=True)
    message = str(caught.value)
    assert text not in message
    assert text.strip()[:12] not in message
    assert not (tmp_path / "master.key").exists()


def test_when_no_master_key_on_loopback_then_a_private_dev_key_is_made_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "var"
    with caplog.at_level(logging.WARNING, logger="chat_service.storage.crypto"):
        first = load_master_key(None, data_dir, allow_dev_key=True)
    path = data_dir / "master.key"
    assert len(first) == 96
    assert path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert any("development master key" in r.getMessage() for r in caplog.records)
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert load_master_key(None, data_dir, allow_dev_key=True) == first
    assert [p.name for p in data_dir.iterdir()] == ["master.key"]  # no temporary left


def test_when_no_master_key_and_no_dev_key_allowed_then_it_is_required(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="CHAT_SERVICE_MASTER_KEY is required"):
        load_master_key(None, tmp_path, allow_dev_key=False)
    assert not (tmp_path / "master.key").exists()


def test_when_the_dev_key_file_is_damaged_then_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "master.key").write_bytes(b"short")
    with pytest.raises(MasterKeyError, match="exactly 96 bytes"):
        load_master_key(None, tmp_path, allow_dev_key=True)
