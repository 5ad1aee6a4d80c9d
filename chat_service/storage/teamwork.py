"""Owner of the `notes` and `outcomes` collections (teamwork, docs/teamwork.md).

`notes`: staff's internal notes on a conversation. They live apart from `messages`, so no
path that reads messages for a customer (live delivery, history, the transcript, the
customer's own export) can ever reach one. A note is stored as a message is: masked text,
findings, and its sensitive values sealed in `secrets` (a staff member's note keeps no
sensitive value: sealed as discarded, as an agent's message's are).

`outcomes`: one document per closed conversation with its handling times (first response,
resolution) and, once the customer gives it, the rating (1-5) and its masked comment. The
`_id` is the conversation's: a conversation has one outcome, and a rating is set at most
once (compare-and-swap on `rating` being absent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from chat_service.storage.findings import FindingDoc
from chat_service.storage.messages import SecretDoc, SenderDoc


class NoteDoc(TypedDict):
    _id: str
    conversation_id: str
    customer_id: str
    author: SenderDoc
    text: str  # masked
    findings: list[FindingDoc]
    secrets: list[SecretDoc]
    created_at: datetime


class RatingDoc(TypedDict):
    score: int
    comment: str | None  # masked
    findings: list[FindingDoc]
    at: datetime


class OutcomeDoc(TypedDict):
    _id: str  # the conversation's id
    customer_id: str
    agent_id: str | None
    created_at: datetime
    closed_at: datetime
    first_response_secs: float | None  # None: no agent ever wrote
    resolution_secs: float
    rating: NotRequired[RatingDoc]


class NoteStore:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        self._c: AsyncCollection[NoteDoc] = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("conversation_id", 1), ("created_at", 1)], name="by_conv")
        await self._c.create_index("customer_id", name="by_customer")

    async def insert(self, doc: NoteDoc) -> None:
        await self._c.insert_one(doc)

    async def for_conversation(self, conversation_id: str, limit: int = 500) -> list[NoteDoc]:
        cursor = (
            self._c.find({"conversation_id": conversation_id})  # index: by_conv
            .sort("created_at", 1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def for_customer(self, customer_id: str, limit: int = 10_000) -> list[NoteDoc]:
        """Every note about a customer (the privacy officer's export)."""
        cursor = (
            self._c.find({"customer_id": customer_id})  # index: by_customer
            .sort("created_at", 1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def delete_for_customer(self, customer_id: str, keep_conversations: set[str]) -> int:
        """Delete the notes about the customer outside `keep_conversations` (held)."""
        keep = keep_conversations
        return await _delete_for_customer(self._c, customer_id, "conversation_id", keep)


class OutcomeStore:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        self._c: AsyncCollection[OutcomeDoc] = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("closed_at", -1)], name="recent")
        await self._c.create_index("customer_id", name="by_customer")

    async def record(self, doc: OutcomeDoc) -> None:
        """The outcome of a conversation that just closed (a repeat is ignored)."""
        try:
            await self._c.insert_one(doc)
        except DuplicateKeyError:
            return

    async def get(self, conversation_id: str) -> OutcomeDoc | None:
        return await self._c.find_one({"_id": conversation_id})  # index: _id

    async def rate(self, conversation_id: str, rating: RatingDoc) -> OutcomeDoc | None:
        """Set the rating once; None if the conversation has no outcome or is rated."""
        return await self._c.find_one_and_update(
            {"_id": conversation_id, "rating": {"$exists": False}},  # index: _id
            {"$set": {"rating": rating}},
            return_document=ReturnDocument.AFTER,
        )

    async def rated_among(self, conversation_ids: list[str]) -> set[str]:
        """Which of these conversations the customer has rated."""
        if not conversation_ids:
            return set()
        cursor = self._c.find(  # index: _id
            {"_id": {"$in": conversation_ids}, "rating": {"$exists": True}}, projection={"_id": 1}
        )
        return {doc["_id"] async for doc in cursor}

    async def recent(self, limit: int = 50) -> list[OutcomeDoc]:
        cursor = self._c.find({}).sort("closed_at", -1).limit(limit)  # index: recent
        return [doc async for doc in cursor]

    async def for_customer(self, customer_id: str, limit: int = 10_000) -> list[OutcomeDoc]:
        cursor = self._c.find({"customer_id": customer_id}).limit(limit)  # index: by_customer
        return [doc async for doc in cursor]

    async def delete_for_customer(self, customer_id: str, keep_conversations: set[str]) -> int:
        """Delete the customer's outcomes (ratings) outside `keep_conversations` (held)."""
        return await _delete_for_customer(self._c, customer_id, "_id", keep_conversations)


async def _delete_for_customer(
    collection: AsyncCollection[Any], customer_id: str, field: str, keep: set[str]
) -> int:
    query: dict[str, Any] = {"customer_id": customer_id}
    if keep:
        query[field] = {"$nin": sorted(keep)}
    result = await collection.delete_many(query)  # index: by_customer
    return result.deleted_count
