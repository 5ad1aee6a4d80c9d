"""Pseudonyms for the evidence kept after a deletion (privacy policy 7.2).

A customer's pseudonym is `"p_" + hex(HMAC-SHA256(key, customer_id))`, the key derived from
the master key with HKDF-SHA256 (info b"chat-service pseudonym v1"). Deterministic, so the
evidence about one customer (ledger, audit, deletion requests, holds) stays linkable without
naming them; keyed, so nobody without the master key can test a guessed customer id.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import weakref
from typing import Final, override

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chat_service.services import Services
from chat_service.storage.crypto import FieldCipher, load_master_key

HKDF_INFO: Final = b"chat-service pseudonym v1"
PREFIX: Final = "p_"
KEY_BYTES: Final = 32


def pseudonym_key(master_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=HKDF_INFO).derive(
        master_key
    )


class Pseudonymizer:
    """`pseudonymizer(customer_id)` -> the customer's pseudonym."""

    __slots__ = ("_key",)

    def __init__(self, master_key: bytes) -> None:
        self._key = pseudonym_key(master_key)

    def __call__(self, customer_id: str) -> str:
        digest = hmac.new(self._key, customer_id.encode(), hashlib.sha256).hexdigest()
        return PREFIX + digest

    @override
    def __repr__(self) -> str:
        return "Pseudonymizer(key=***)"


_cache: weakref.WeakKeyDictionary[FieldCipher, Pseudonymizer] = weakref.WeakKeyDictionary()


async def pseudonymizer_for(services: Services) -> Pseudonymizer:
    """The service's pseudonymizer, from the same master key its cipher uses (read once)."""
    cached = _cache.get(services.cipher)
    if cached is not None:
        return cached
    settings = services.settings
    # Services exist only once the master key loaded, so the development key (embedded
    # store) is already on disk here and is only read, never created.
    master_key = await asyncio.to_thread(
        load_master_key,
        settings.master_key,
        settings.data_dir,
        allow_dev_key=services.store.kind == "embedded",
    )
    pseudonymizer = Pseudonymizer(master_key)
    _cache[services.cipher] = pseudonymizer
    return pseudonymizer
