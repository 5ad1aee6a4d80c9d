"""Encrypted blob storage: attachments are never stored in plaintext.

Each blob gets a fresh random 256-bit data-encryption key (DEK). The bytes are cut into
chunks of `CHUNK_BYTES`, each sealed with AES-256-GCM under its own random 96-bit nonce and
with associated data binding it to this blob (its GridFS id), its position and whether it is
the last one: chunks moved, swapped between blobs, dropped or cut off all fail to decrypt.
The DEK itself is wrapped with the customer's data key (`FieldCipher.encrypt`, explicit
client-side field-level encryption), so shredding the customer's key makes every blob of
theirs unreadable, backups included.

Layout of the ciphertext: `MAGIC`, then per chunk `nonce (12) || ciphertext+tag`; every
chunk but the last holds exactly `CHUNK_BYTES` of plaintext, so the frames need no lengths.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from datetime import datetime
from typing import Final

from bson import ObjectId
from bson.binary import Binary
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chat_service.storage.attachments import AttachmentStore, BlobRef
from chat_service.storage.crypto import FieldCipher

CHUNK_BYTES: Final = 256 * 1024
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
DEK_BYTES: Final = 32
MAGIC: Final = b"CSAB1\n"


class BlobCorrupt(Exception):
    """The ciphertext does not authenticate: tampered with, truncated or reordered."""


def _aad(file_id: ObjectId, index: int, last: bool) -> bytes:
    return file_id.binary + struct.pack(">QB", index, 1 if last else 0)


def seal(file_id: ObjectId, dek: bytes, data: bytes) -> bytes:
    aead = AESGCM(dek)
    count = max(1, -(-len(data) // CHUNK_BYTES))
    out = [MAGIC]
    for index in range(count):
        chunk = data[index * CHUNK_BYTES : (index + 1) * CHUNK_BYTES]
        nonce = os.urandom(NONCE_BYTES)
        out.append(nonce)
        out.append(aead.encrypt(nonce, chunk, _aad(file_id, index, index == count - 1)))
    return b"".join(out)


def unseal(file_id: ObjectId, dek: bytes, sealed: bytes) -> bytes:
    if not sealed.startswith(MAGIC):
        raise BlobCorrupt("unknown blob format")
    aead = AESGCM(dek)
    frame = NONCE_BYTES + CHUNK_BYTES + TAG_BYTES
    body = memoryview(sealed)[len(MAGIC) :]
    parts: list[bytes] = []
    index = 0
    while True:
        piece = body[index * frame : (index + 1) * frame]
        last = (index + 1) * frame >= len(body)
        if len(piece) < NONCE_BYTES + TAG_BYTES:
            raise BlobCorrupt("truncated blob")
        try:
            parts.append(
                aead.decrypt(
                    bytes(piece[:NONCE_BYTES]),
                    bytes(piece[NONCE_BYTES:]),
                    _aad(file_id, index, last),
                )
            )
        except InvalidTag:
            raise BlobCorrupt("the blob does not authenticate") from None
        if last:
            return b"".join(parts)
        index += 1


class BlobStore:
    """put/open of encrypted blobs under a customer's data key."""

    def __init__(self, store: AttachmentStore, cipher: FieldCipher) -> None:
        self._store = store
        self._cipher = cipher

    async def put(self, customer_id: str, data: bytes, created_at: datetime) -> BlobRef:
        file_id = ObjectId()
        dek = os.urandom(DEK_BYTES)
        sealed = await asyncio.to_thread(seal, file_id, dek, data)
        key = await self._cipher.encrypt(customer_id, base64.b64encode(dek).decode("ascii"))
        await self._store.put_blob(file_id, sealed, created_at)
        return BlobRef(file_id=file_id, key=key)

    async def open(self, ref: BlobRef) -> bytes | None:
        """The plaintext, or None when it is gone (the customer's key shredded, the blob
        deleted). Raises BlobCorrupt when the ciphertext was tampered with."""
        key = ref["key"]
        if not isinstance(key, Binary):
            raise BlobCorrupt("the blob's key is not an encrypted value")
        dek_text = await self._cipher.decrypt(key)
        if dek_text is None:
            return None
        sealed = await self._store.read_blob(ref["file_id"])
        if sealed is None:
            return None
        dek = base64.b64decode(dek_text)
        return await asyncio.to_thread(unseal, ref["file_id"], dek, sealed)

    async def discard(self, ref: BlobRef) -> None:
        await self._store.delete_blob(ref["file_id"])
