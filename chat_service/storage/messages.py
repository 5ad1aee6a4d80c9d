"""Owner of the `messages` collection: durable, ordered, idempotent.

- `_id` is derived from the sender and the sender's `client_id`, so a resend can never
  store a second message: the insert fails on `_id` and the original is returned.
- `seq` is allocated per conversation under a lock in this process and only advanced
  after the insert was acknowledged, so seqs are strictly increasing with no gaps. A
  unique index on `conv_seq` ("<conversation id>:<seq, 12 digits>") guards instances
  sharing one MongoDB: on a clash the allocator reloads the highest seq and tries again.
  (One string field rather than a compound unique index: mongoeco checks single-field
  unique indexes through the index, compound ones by scanning the whole collection.)
  On MongoDB the guard is the compound unique index {conversation_id, seq} instead: a
  unique index must start with the shard key (`conversation_id`, storage/sharding.py) for
  MongoDB to enforce it across shards, and MongoDB checks compound ones through the index.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from bson import Binary
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.errors import DuplicateKeyError, OperationFailure

from chat_service.sealing import MessageConsent, Sealed, SealedField, SealState
from chat_service.search_terms import terms_of
from chat_service.storage.findings import FindingDoc

SEQ_RETRIES = 8


class SenderDoc(TypedDict):
    role: str
    id: str


class SecretDoc(TypedDict):
    """A sealed value as stored (chat_service/sealing.py `Sealed`); a span of the text has
    no `field`."""

    field: NotRequired[str]
    start: int | None
    end: int | None
    entity_types: list[str]
    categories: list[str]
    value: Binary | None
    state: str


class AreaDoc(TypedDict):
    lat: float
    lng: float
    radius_m: float


class MessageDoc(TypedDict):
    """A message as stored: text masked, sensitive values sealed in `secrets`."""

    _id: str
    conversation_id: str
    customer_id: str
    seq: int
    client_id: str
    sender: SenderDoc
    kind: str
    text: str | None
    findings: list[FindingDoc]
    secrets: list[SecretDoc]
    consent: str | None
    created_at: datetime
    attachment_id: NotRequired[str]
    location_area: NotRequired[AreaDoc]
    conv_seq: NotRequired[str]  # added by MessageStore.insert
    secrets_version: NotRequired[int]  # compare-and-swap of `secrets`
    search_terms: NotRequired[list[str]]  # of the masked text (chat_service/search_terms.py)


def sealed_from_doc(doc: SecretDoc) -> Sealed:
    field = doc.get("field")
    return Sealed(
        start=doc["start"],
        end=doc["end"],
        entity_types=tuple(doc["entity_types"]),
        categories=tuple(doc["categories"]),
        value=doc["value"],
        state=SealState(doc["state"]),
        field=SealedField(field) if field is not None else None,
    )


def sealed_to_doc(item: Sealed) -> SecretDoc:
    doc = SecretDoc(
        start=item.start,
        end=item.end,
        entity_types=list(item.entity_types),
        categories=list(item.categories),
        value=item.value,
        state=item.state.value,
    )
    if item.field is not None:
        # Stored first, as the documents written before these types were.
        return {"field": item.field.value, **doc}
    return doc


def sealed_of(message: MessageDoc) -> list[Sealed]:
    """The message's sealed values, in stored order (their index is their reference)."""
    return [sealed_from_doc(s) for s in message.get("secrets", [])]


def message_id_for(sender_role: str, sender_id: str, client_id: str) -> str:
    digest = hashlib.sha256(f"{sender_role}\0{sender_id}\0{client_id}".encode()).hexdigest()
    return "m_" + digest[:32]


def conv_seq(conversation_id: str, seq: int) -> str:
    return f"{conversation_id}:{seq:012d}"


@dataclass(frozen=True, slots=True)
class Stored:
    """The outcome of an insert: the stored document and whether it was a replay."""

    doc: MessageDoc
    duplicate: bool


class MessageStore:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        # The client reads every collection as plain dicts; these are messages.
        self._c: AsyncCollection[MessageDoc] = collection
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_seq: dict[str, int] = {}

    async def ensure_indexes(self, *, shardable: bool = False) -> None:
        """`shardable` (MongoDB): the seq guard is {conversation_id, seq}, see above."""
        if shardable:
            await self._c.create_index(
                [("conversation_id", 1), ("seq", 1)], unique=True, name="conversation_seq_unique"
            )
            # The indexes earlier versions made: the one above replaces both.
            for legacy in ("conv_seq", "conversation_seq"):
                with contextlib.suppress(OperationFailure):  # absent: nothing to drop
                    await self._c.drop_index(legacy)
        else:
            await self._c.create_index("conv_seq", unique=True, name="conv_seq")
            await self._c.create_index(
                [("conversation_id", 1), ("seq", 1)], name="conversation_seq"
            )
        await self._c.create_index(
            [("customer_id", 1), ("secrets.state", 1)], name="customer_secrets"
        )
        await self._c.create_index(
            [("secrets.state", 1), ("created_at", 1)], name="pending_secrets"
        )
        await self._c.create_index("search_terms", name="search_terms")  # storage/search.py
        await self._c.create_index(  # storage/search.py: its sort, for common terms
            [("created_at", -1), ("_id", 1)], name="newest_first"
        )

    async def get(self, message_id: str) -> MessageDoc | None:
        return await self._c.find_one({"_id": message_id})  # index: _id

    def lock(self, conversation_id: str) -> asyncio.Lock:
        """The conversation's write lock: held while a message is inserted, and by whoever
        closes the conversation, so no message lands in a conversation after it closed."""
        return self._locks.setdefault(conversation_id, asyncio.Lock())

    async def insert(
        self,
        conversation_id: str,
        build: Callable[[int], MessageDoc],
        guard: Callable[[], Awaitable[None]] | None = None,
    ) -> Stored:
        """Insert `build(seq)` with the conversation's next seq; a replay returns the original.
        `guard` runs under the conversation's lock first and may raise to refuse."""
        async with self.lock(conversation_id):
            if guard is not None:
                await guard()
            for _ in range(SEQ_RETRIES):
                seq = await self._peek_next(conversation_id)
                doc = build(seq)
                doc["conv_seq"] = conv_seq(conversation_id, seq)
                doc["secrets_version"] = 0
                try:
                    await self._c.insert_one(doc)
                except DuplicateKeyError:
                    existing = await self._c.find_one({"_id": doc["_id"]})  # index: _id
                    if existing is not None:
                        return Stored(existing, duplicate=True)
                    # Another instance took this seq: reload the highest and retry.
                    self._next_seq.pop(conversation_id, None)
                    continue
                self._next_seq[conversation_id] = seq + 1
                return Stored(doc, duplicate=False)
        raise RuntimeError(f"could not allocate a seq in {conversation_id}")

    async def _peek_next(self, conversation_id: str) -> int:
        cached = self._next_seq.get(conversation_id)
        if cached is not None:
            return cached
        last = await self._c.find_one(  # index: conversation_seq
            {"conversation_id": conversation_id}, sort=[("seq", -1)], projection={"seq": 1}
        )
        return (last["seq"] if last else 0) + 1

    def created(self, conversation_id: str) -> None:
        """A conversation this process has just inserted has no messages: its first seq is 1,
        known without a read. (Another instance writing first makes the insert clash on
        `conv_seq`, and the allocator reloads, as for any stale seq.)"""
        self._next_seq.setdefault(conversation_id, 1)

    def forget(self, conversation_id: str) -> None:
        """Drop the cached seq of a closed conversation (bounded memory)."""
        lock = self._locks.get(conversation_id)
        if lock is None or not lock.locked():
            self._locks.pop(conversation_id, None)
            self._next_seq.pop(conversation_id, None)

    async def first_by_role(self, conversation_id: str, role: str) -> MessageDoc | None:
        """The conversation's first message sent by someone of `role` (handling times)."""
        return await self._c.find_one(  # index: conversation_seq
            {"conversation_id": conversation_id, "sender.role": role}, sort=[("seq", 1)]
        )

    async def after(self, conversation_id: str, after_seq: int, limit: int) -> list[MessageDoc]:
        cursor = (
            self._c.find(  # index: conversation_seq
                {"conversation_id": conversation_id, "seq": {"$gt": after_seq}}
            )
            .sort("seq", 1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    def stream_after(
        self, conversation_id: str, after_seq: int, limit: int, batch_size: int
    ) -> AsyncCursor[MessageDoc]:
        """Like `after`, fetched `batch_size` at a time: the caller may stop early (and
        closes the cursor), so a page budgeted in bytes never loads more than it sends."""
        return (
            self._c.find(  # index: conversation_seq
                {"conversation_id": conversation_id, "seq": {"$gt": after_seq}}
            )
            .sort("seq", 1)
            .limit(limit)
            .batch_size(batch_size)
        )

    async def set_secrets(
        self,
        message_id: str,
        sealed: Sequence[Sealed],
        consent: MessageConsent | None,
        version: int,
    ) -> MessageDoc | None:
        """Replace a message's sensitive values if nobody changed them since `version` was
        read (compare-and-swap: a destroyed value can never be written back); the new doc,
        or None when it changed meanwhile (read again and retry)."""
        return await self._c.find_one_and_update(
            {"_id": message_id, "secrets_version": version},  # index: _id
            {
                "$set": {
                    "secrets": [sealed_to_doc(s) for s in sealed],
                    "consent": consent.value if consent is not None else None,
                },
                "$inc": {"secrets_version": 1},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def remask(
        self,
        message_id: str,
        version: int,
        *,
        text: str,
        findings: list[FindingDoc],
        sealed: Sequence[Sealed],
    ) -> MessageDoc | None:
        """Store a message masked again (more of its text became sensitive), if nobody
        changed its values since `version` was read; the new doc, or None (read, retry)."""
        return await self._c.find_one_and_update(
            {"_id": message_id, "secrets_version": version},  # index: _id
            {
                "$set": {
                    "text": text,
                    "search_terms": terms_of(text),
                    "findings": findings,
                    "secrets": [sealed_to_doc(s) for s in sealed],
                    "consent": MessageConsent.PENDING.value,
                },
                "$inc": {"secrets_version": 1},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def pending_since(self, cutoff: datetime, limit: int = 200) -> list[MessageDoc]:
        """Messages whose values still wait for consent since before `cutoff` (backstop)."""
        cursor = self._c.find(  # index: pending_secrets
            {"secrets.state": SealState.PENDING.value, "created_at": {"$lte": cutoff}}
        ).limit(limit)
        return [doc async for doc in cursor]

    async def with_kept_secrets(self, customer_id: str) -> list[MessageDoc]:
        """The customer's messages that still hold consented sensitive values."""
        cursor = self._c.find(  # index: customer_secrets
            {"customer_id": customer_id, "secrets.state": SealState.KEPT.value}
        )
        return [doc async for doc in cursor]

    async def of_conversations(self, conversation_ids: list[str]) -> list[MessageDoc]:
        """Every message of these conversations, in one query read through the index (the
        inbox's last messages, waiting times and unanswered counts; docs/inbox.md). Whole
        documents: the embedded store decodes each one either way, and reading the last
        messages again by `_id` made it scan the whole collection."""
        if not conversation_ids:
            return []
        cursor = self._c.find(  # index: conversation_seq
            {"conversation_id": {"$in": conversation_ids}}
        )
        return [doc async for doc in cursor]

    async def since_seqs(self, wanted: Sequence[tuple[str, int]]) -> list[MessageDoc]:
        """The messages of each (conversation id, seq) pair from that seq on, in one query
        (the inbox: a conversation's newest staff message and what came after it). The
        `$in` of the conversations lets the embedded store read the `conversation_seq`
        index (storage/embedded_engine.py item 5); the `$or` keeps only the wanted seqs, so
        the older messages are not decoded and sent."""
        if not wanted:
            return []
        query = {
            "conversation_id": {"$in": sorted({c for c, _ in wanted})},
            "$or": [{"conversation_id": c, "seq": {"$gte": n}} for c, n in wanted],
        }
        cursor = self._c.find(query)  # index: conversation_seq
        return [doc async for doc in cursor]

    async def many(self, message_ids: list[str]) -> list[MessageDoc]:
        cursor = self._c.find({"_id": {"$in": message_ids}}).sort("seq", 1)  # index: _id
        return [doc async for doc in cursor]

    # -- deletion (privacy policy 7.2) ---------------------------------------------------------

    async def delete_conversation(self, conversation_id: str, batch: int = 500) -> int:
        """Delete every message of a conversation (findings and encrypted values with them),
        in bounded batches; returns how many. Hold `lock(conversation_id)` around it."""
        deleted = 0
        while True:
            cursor = self._c.find(  # index: conversation_seq
                {"conversation_id": conversation_id}, projection={"_id": 1}
            ).limit(batch)
            ids = [doc["_id"] async for doc in cursor]
            if not ids:
                return deleted
            result = await self._c.delete_many({"_id": {"$in": ids}})  # index: _id
            deleted += result.deleted_count

    async def delete_for_customer(
        self, customer_id: str, keep_conversations: set[str], batch: int = 500
    ) -> int:
        """Delete the customer's messages outside `keep_conversations` (held), in batches."""
        deleted = 0
        query: dict[str, Any] = {"customer_id": customer_id}
        if keep_conversations:
            query["conversation_id"] = {"$nin": sorted(keep_conversations)}
        while True:
            cursor = self._c.find(query, projection={"_id": 1}).limit(  # index: customer_secrets
                batch
            )
            ids = [doc["_id"] async for doc in cursor]
            if not ids:
                return deleted
            result = await self._c.delete_many({"_id": {"$in": ids}})  # index: _id
            deleted += result.deleted_count
