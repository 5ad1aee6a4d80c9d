"""Owner of `webhook_deliveries`: one durable document per privacy notice and recipient.

A delivery is written in state "pending" before anything is sent, so a crash loses nothing.
Each attempt (time, HTTP status or error, duration) is appended to it; it ends "delivered"
(a 2xx answer) or "dead" (every attempt failed: a dead letter for the privacy report).

A sender claims a due delivery by moving its `next_attempt_at` forward (a lease) in one
atomic update, so two senders never post the same delivery at the same time; a sender that
dies mid-attempt leaves the delivery due again once the lease has run out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

DeliveryState = Literal["pending", "delivered", "dead"]
STATES: tuple[DeliveryState, ...] = ("pending", "delivered", "dead")


class AttemptDoc(TypedDict):
    """One attempt: when, the HTTP status (None without an answer), the error (None for a
    2xx answer), how long it took."""

    at: datetime
    status: int | None
    error: str | None
    duration_ms: float


class DeliveryDoc(TypedDict):
    """One delivery as stored: `body` is the exact JSON posted (signed as it is)."""

    _id: str
    webhook: str
    event: str
    event_id: str
    customer_id: str
    body: str
    state: DeliveryState
    created_at: datetime
    next_attempt_at: datetime
    attempt_count: int
    attempts: list[AttemptDoc]
    last_error: str | None
    delivered_at: NotRequired[datetime]  # once delivered
    dead_at: NotRequired[datetime]  # once a dead letter


class AttemptOutcome(TypedDict, total=False):
    """What an attempt changes besides appending itself to the log."""

    state: DeliveryState
    delivered_at: datetime
    dead_at: datetime
    next_attempt_at: datetime
    last_error: str | None


class WebhookDeliveries:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        # The collection as the driver hands it (its document type left open, PyMongo's
        # typing recipe); this owner names what it holds.
        self._c: AsyncCollection[DeliveryDoc] = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("state", 1), ("next_attempt_at", 1)], name="due")

    async def insert(self, doc: DeliveryDoc) -> bool:
        """Store a new delivery; False if one with this `_id` already exists."""
        try:
            await self._c.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, delivery_id: str) -> DeliveryDoc | None:
        return await self._c.find_one({"_id": delivery_id})  # index: _id

    async def due(self, now: datetime, limit: int = 100) -> list[DeliveryDoc]:
        """Pending deliveries whose next attempt is at or before `now`, oldest first."""
        cursor = (
            self._c.find({"state": "pending", "next_attempt_at": {"$lte": now}})  # index: due
            .sort("next_attempt_at", 1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def claim(
        self, delivery_id: str, now: datetime, lease_until: datetime
    ) -> DeliveryDoc | None:
        """Take a due delivery for one attempt; None if another sender took it first."""
        return await self._c.find_one_and_update(  # index: _id
            {"_id": delivery_id, "state": "pending", "next_attempt_at": {"$lte": now}},
            {"$set": {"next_attempt_at": lease_until}},
            return_document=ReturnDocument.AFTER,
        )

    async def record_attempt(
        self, delivery_id: str, attempt: AttemptDoc, changes: AttemptOutcome
    ) -> None:
        """Append one attempt to the log and apply the outcome (state, next attempt, error)."""
        await self._c.update_one(  # index: _id
            {"_id": delivery_id, "state": "pending"},
            {"$push": {"attempts": attempt}, "$inc": {"attempt_count": 1}, "$set": changes},
        )

    async def count_by_state(self) -> dict[DeliveryState, int]:
        return {
            state: await self._c.count_documents({"state": state})  # index: due
            for state in STATES
        }

    async def oldest_pending(self) -> DeliveryDoc | None:
        cursor = self._c.find({"state": "pending"}).sort("created_at", 1).limit(1)  # index: due
        return next(iter([doc async for doc in cursor]), None)

    async def dead(self, limit: int = 100) -> list[DeliveryDoc]:
        """The most recent dead letters first."""
        cursor = self._c.find({"state": "dead"}).sort("dead_at", -1).limit(limit)  # index: due
        return [doc async for doc in cursor]


class DeadLetter(TypedDict):
    """A dead delivery as the privacy report lists it (times in ISO 8601)."""

    delivery_id: str
    webhook: str
    event: str
    event_id: str
    customer_id: str | None
    created_at: str | None
    dead_at: str | None
    attempts: int
    last_error: str | None


class Recipient(TypedDict):
    name: str
    events: list[str]


class WebhookSummary(TypedDict):
    """The privacy report's `webhooks` section."""

    webhooks: list[Recipient]
    counts: dict[DeliveryState, int]
    oldest_pending_at: str | None
    dead: list[DeadLetter]
