"""Owner of the `attachments` collection and of the `attachment_blobs` GridFS bucket.

One document per upload (docs/attachments.md has the schema):
`{_id: "att_...", uploader: {role, id}, customer_id, conversation_id, message_id, kind,
name, content_type, size, created_at, status: "ready"|"held", findings, sensitive,
categories, entity_types, original: {file_id, key} | None, redacted: {file_id, key} | None}`.

Blobs are ciphertext only (chat_service/attachments/blobs.py encrypts them before they get
here). Destroying a rendition clears its reference (and with it the wrapped key) first and
then deletes the GridFS file: if the second step is interrupted, what is left is ciphertext
whose key is gone.

Indexes are created on first use (this store's owner is wired into `Store` in one line, and
the indexes follow from it): `customer_id` for erasure, `conversation_id`, `message_id`;
the retention job's (`message_id`, `created_at`) index for unsent uploads is made with the
other retention indexes (storage/retention_runs.py). An upload the retention job is deleting
carries `deleting: true`, and `bind` no longer takes it.
GridFS makes its own `files`/`chunks` indexes on the first upload.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection
from datetime import datetime
from typing import Any, Final, Literal, NotRequired, TypedDict

from bson import ObjectId
from bson.binary import Binary
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION: Final = "attachments"
BUCKET: Final = "attachment_blobs"
GRIDFS_CHUNK_BYTES: Final = 255 * 1024
Rendition = Literal["original", "redacted"]
RENDITIONS: Final[tuple[Rendition, ...]] = ("original", "redacted")


class BlobRef(TypedDict):
    """A stored rendition: its GridFS file and its key, wrapped by the customer's data key
    (None once `unset_original_key` handed the key to the message's `secrets`)."""

    file_id: ObjectId
    key: Binary | None


class UploaderDoc(TypedDict):
    role: str
    id: str


class AttachmentDoc(TypedDict):
    """One upload, as stored (the schema above)."""

    _id: str
    uploader: UploaderDoc
    customer_id: str
    conversation_id: str | None
    message_id: str | None
    kind: Literal["image", "file"]
    name: str
    content_type: str
    size: int
    created_at: datetime
    status: Literal["ready", "held"]
    # The scanner's document findings (contract findings plus "page" and "boxes"),
    # stored as chat_service/scanning.py hands them over.
    findings: list[dict[str, Any]]
    sensitive: bool
    categories: list[str]
    entity_types: list[str]
    original: BlobRef | None
    redacted: BlobRef | None
    deleting: NotRequired[bool]  # claimed by the retention job


class AttachmentStore:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        # The store's database is untyped (`Store.client`); this collection holds uploads.
        self._c: AsyncCollection[AttachmentDoc] = db[COLLECTION]
        self._bucket = AsyncGridFSBucket(
            db, bucket_name=BUCKET, chunk_size_bytes=GRIDFS_CHUNK_BYTES
        )
        self._indexed = False
        self._index_lock = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        async with self._index_lock:
            if not self._indexed:
                await self._c.create_index("customer_id", name="by_customer")
                await self._c.create_index("conversation_id", name="by_conversation")
                await self._c.create_index("message_id", name="by_message", sparse=True)
                self._indexed = True

    # -- documents ------------------------------------------------------------------------

    async def insert(self, doc: AttachmentDoc) -> None:
        await self.ensure_indexes()
        await self._c.insert_one(doc)

    async def get(self, att_id: str) -> AttachmentDoc | None:
        return await self._c.find_one({"_id": att_id})  # index: _id

    async def bind(
        self, att_id: str, conversation_id: str, message_id: str
    ) -> AttachmentDoc | None:
        """Tie the attachment to the message that sends it: atomic, and only if it is not
        bound to another message yet nor uploaded for another conversation. The bound
        document, or None (the caller answers as for an unknown attachment)."""
        return await self._c.find_one_and_update(  # index: _id
            {
                "_id": att_id,
                "message_id": {"$in": [None, message_id]},
                "conversation_id": {"$in": [None, conversation_id]},
                "deleting": {"$exists": False},  # claimed by retention: on its way out
            },
            {"$set": {"conversation_id": conversation_id, "message_id": message_id}},
            return_document=ReturnDocument.AFTER,
        )

    async def unbind(self, att_id: str, message_id: str) -> None:
        """Undo `bind` for a message that was not stored after all (its conversation was
        closed meanwhile, or the store failed): the upload may be sent again."""
        await self._c.update_one(  # index: _id
            {"_id": att_id, "message_id": message_id},
            {"$set": {"message_id": None}},
        )

    async def for_customer(self, customer_id: str) -> list[AttachmentDoc]:
        return [doc async for doc in self._c.find({"customer_id": customer_id})]  # by_customer

    async def destroy_blob(self, att_id: str, which: Rendition) -> bool:
        """Forget one rendition: its reference (with its wrapped key), then its ciphertext.
        True if there was one."""
        before = await self._c.find_one_and_update(  # index: _id
            {"_id": att_id, which: {"$ne": None}},
            {"$set": {which: None}},
            return_document=ReturnDocument.BEFORE,
        )
        if before is None:
            return False
        ref = before[which]
        if ref is not None:  # the filter matched a reference
            await self.delete_blob(ref["file_id"])
        return True

    async def unset_original_key(self, att_id: str) -> bool:
        """Drop the attachment's copy of the original's wrapped key, keeping the file: a
        message that carries a sensitive attachment holds the key in its `secrets`, where
        consent keeps or destroys it (actions/messages.py). True if there was a key."""
        result = await self._c.update_one(  # index: _id
            {"_id": att_id, "original.key": {"$ne": None}}, {"$set": {"original.key": None}}
        )
        return result.modified_count > 0

    async def delete(self, att_id: str) -> bool:
        for which in RENDITIONS:
            await self.destroy_blob(att_id, which)
        result = await self._c.delete_one({"_id": att_id})  # index: _id
        return result.deleted_count > 0

    async def delete_for_customer(
        self, customer_id: str, keep_conversations: Collection[str] = ()
    ) -> int:
        """Every attachment of the customer but those of `keep_conversations` (held), blobs
        first; unbound ones (no conversation) included. The number of documents deleted."""
        deleted = 0
        cursor = self._c.find(  # by_customer
            {"customer_id": customer_id, "conversation_id": {"$nin": sorted(keep_conversations)}},
            projection={"_id": 1},
        )
        for att_id in [doc["_id"] async for doc in cursor]:
            if await self.delete(att_id):
                deleted += 1
        return deleted

    async def delete_for_conversation(self, conversation_id: str) -> int:
        """Every attachment of one conversation, blobs first. The number deleted."""
        cursor = self._c.find(  # by_conversation
            {"conversation_id": conversation_id}, projection={"_id": 1}
        )
        deleted = 0
        for att_id in [doc["_id"] async for doc in cursor]:
            if await self.delete(att_id):
                deleted += 1
        return deleted

    async def claim_unsent(self, att_id: str, cutoff: datetime) -> bool:
        """Mark an upload no message used (and older than `cutoff`) as being deleted, so a
        `message.send` racing the retention job cannot bind it any more (`bind` skips it).
        True if claimed now or by an earlier, interrupted run."""
        result = await self._c.update_one(  # index: _id
            {"_id": att_id, "message_id": None, "created_at": {"$lte": cutoff}},
            {"$set": {"deleting": True}},
        )
        return result.matched_count == 1

    # -- blobs (ciphertext) ---------------------------------------------------------------

    async def put_blob(self, file_id: ObjectId, data: bytes, created_at: datetime) -> None:
        await self.ensure_indexes()
        await self._bucket.upload_from_stream_with_id(
            file_id, str(file_id), data, metadata={"created_at": created_at}
        )

    async def read_blob(self, file_id: ObjectId) -> bytes | None:
        try:
            stream = await self._bucket.open_download_stream(file_id)
        except NoFile:
            return None
        try:
            return await stream.read()
        finally:
            await stream.close()

    async def delete_blob(self, file_id: ObjectId) -> None:
        with contextlib.suppress(NoFile):  # already gone: deleting is idempotent
            await self._bucket.delete(file_id)
